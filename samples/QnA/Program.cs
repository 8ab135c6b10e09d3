using AgentBatch.Samples;
using AgentBatch.Samples.QnA;

// Answers a list of questions with one agent clone per question, as structured output (answer and confidence).
//   dotnet run --project samples/QnA [questions.txt] [--model gpt-4o-mini] [--max-concurrency 8] [--telemetry]
// Without OPENAI_API_KEY it starts an embedded mock endpoint and talks to it over HTTP with the real OpenAI client.
return await QnAApp.RunAsync(args, SampleConsole.FromProcess());
