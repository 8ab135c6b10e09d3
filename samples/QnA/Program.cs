using System.ClientModel;
using System.ClientModel.Primitives;
using AgentBatch;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using OpenAI;

// Answers a list of questions with one agent clone per question.
// With OPENAI_API_KEY set it talks to that endpoint (OPENAI_BASE_URL, OPENAI_MODEL optional);
// otherwise it starts an in-process mock endpoint and talks to it over HTTP.
var questions = args.Length > 0 && File.Exists(args[0])
    ? File.ReadAllLines(args[0]).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray()
    : KnownAnswers.Keys.ToArray();

var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
using var mock = string.IsNullOrEmpty(apiKey) ? MockChatServer.Start(AnswerKnownQuestions) : null;
var model = Environment.GetEnvironmentVariable("OPENAI_MODEL") ?? "gpt-4o-mini";
IChatClient chatClient;
if (mock is not null)
{
    Console.WriteLine($"Endpoint: embedded mock at {mock.Endpoint} (set OPENAI_API_KEY to use a real one)");
    chatClient = mock.CreateChatClient(model);
}
else
{
    var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(0) };
    if (Environment.GetEnvironmentVariable("OPENAI_BASE_URL") is { Length: > 0 } baseUrl)
    {
        options.Endpoint = new Uri(baseUrl);
    }

    Console.WriteLine($"Endpoint: {options.Endpoint?.ToString() ?? "OpenAI"} with model {model}");
    chatClient = new OpenAIClient(new ApiKeyCredential(apiKey!), options).GetChatClient(model).AsIChatClient();
}

var template = new ChatAgent(chatClient, new ChatAgentOptions
{
    Name = "qna",
    Instructions = "Answer the question in one short sentence.",
});

var result = await new BatchRunner().RunBatchAsync(
    template, questions, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 8 });

foreach (var item in result.Items)
{
    var answer = item.IsSuccess ? item.Output : $"[{item.Status}] {item.Error?.Message}";
    Console.WriteLine($"{questions[item.Index]}\n  -> {answer}  ({item.Usage?.TotalTokenCount ?? 0} tokens)");
}

Console.WriteLine($"Done: {result.SucceededCount}/{result.Items.Count} answered, {result.Usage.TotalTokenCount ?? 0} tokens, {result.Elapsed.TotalSeconds:F1} s");
return result.FailedCount == 0 ? 0 : 1;

static MockChatReply AnswerKnownQuestions(MockChatRequest request) =>
    MockChatReply.Answer(KnownAnswers.TryGetValue(request.LastUserText, out var answer) ? answer : "I do not know.");

internal static partial class Program
{
    public static readonly Dictionary<string, string> KnownAnswers = new()
    {
        ["What is the capital of France?"] = "Paris is the capital of France.",
        ["How many legs does a spider have?"] = "A spider has eight legs.",
        ["What is the boiling point of water at sea level in Celsius?"] = "Water boils at 100 degrees Celsius at sea level.",
        ["Who wrote 'Pride and Prejudice'?"] = "Jane Austen wrote 'Pride and Prejudice'.",
        ["What is the chemical symbol for gold?"] = "The chemical symbol for gold is Au.",
        ["How many continents are there?"] = "There are seven continents.",
    };
}
