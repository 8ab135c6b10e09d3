using AgentBatch.Samples;
using AgentBatch.Samples.CodeAnalyzer;

// Reviews a folder of source files for security flaws with one agent clone per file; the model reports each finding
// through a report_finding tool. Prints a findings table and writes JSON and CSV reports.
//   dotnet run --project samples/CodeAnalyzer [folder] [--output dir] [--max-concurrency 4] [--max-cost 0.05] [--model id] [--telemetry]
// Without OPENAI_API_KEY it starts an embedded mock endpoint and talks to it over HTTP with the real OpenAI client.
return await AnalyzerApp.RunAsync(args, SampleConsole.FromProcess());
