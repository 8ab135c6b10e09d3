using AgentBatch;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

// A first cut of the code analyzer: one agent clone per source snippet, against the embedded mock endpoint.
// Its own issue grows it into the full tool-calling analyzer with reports.
var snippets = new Dictionary<string, string>
{
    ["copy.c"] = "void copy(char *s) { char buf[8]; strcpy(buf, s); }",
    ["query.cs"] = "var sql = \"SELECT * FROM users WHERE name = '\" + name + \"'\";",
    ["safe.cs"] = "var total = items.Sum(i => i.Price);",
};

using var mock = MockChatServer.Start(request => MockChatReply.Answer(
    request.LastUserText.Contains("strcpy", StringComparison.Ordinal) ? "HIGH: unbounded strcpy into a stack buffer"
    : request.LastUserText.Contains("SELECT", StringComparison.Ordinal) ? "HIGH: SQL built by string concatenation"
    : "No findings."));
Console.WriteLine($"Endpoint: embedded mock at {mock.Endpoint}");

var template = new ChatAgent(mock.CreateChatClient(), new ChatAgentOptions { Name = "analyzer", Instructions = "Report security flaws in the code." });
var files = snippets.ToList();
var result = await new BatchRunner().RunBatchAsync(template, files, f => f.Value, r => r.Text);

foreach (var item in result.Items)
{
    Console.WriteLine($"{files[item.Index].Key,-10} {item.Output}");
}

return result.FailedCount == 0 ? 0 : 1;
