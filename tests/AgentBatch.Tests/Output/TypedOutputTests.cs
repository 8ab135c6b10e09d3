using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Output;

/// <summary>Typed output: the schema asked for on the wire, the reply read and validated, a bad reply repaired with one more turn.</summary>
public sealed class TypedOutputTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_JsonOutput_AsksForTheSchemaAndReadsEachReply()
    {
        _server.Responder = request => MockChatReply.Answer($$"""{"title":"{{request.LastUserText}}","score":{{request.LastUserText.Length}}}""");

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["alpha", "be"], s => s, BatchOutput.Json<Verdict>());

        Assert.Equal([new Verdict("alpha", 5), new Verdict("be", 2)], result.Outputs);
        Assert.All(_server.Requests, r =>
        {
            Assert.Equal("json_schema", r.ResponseFormat);
            var schema = JsonNode.Parse(r.RawBody)!["response_format"]!["json_schema"]!["schema"]!;
            Assert.NotNull(schema["properties"]!["title"]);
            Assert.NotNull(schema["properties"]!["score"]);
        });
    }

    [Fact]
    public async Task RunBatchAsync_ReplyThatDoesNotParse_IsRepairedWithOneMoreTurnOnTheSameClone()
    {
        _server.Responder = request => request.Messages.Count(m => m.Role == "user") == 1
            ? MockChatReply.Answer("Sure! The title is alpha.")
            : MockChatReply.Answer("""{"title":"alpha","score":5}""");

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["alpha"], s => s, BatchOutput.Json<Verdict>());

        var item = Assert.Single(result.Items);
        Assert.True(item.IsSuccess, item.ToString());
        Assert.Equal(new Verdict("alpha", 5), item.Output);
        Assert.Equal(2, item.Attempts);

        // The repair turn is the clone's own conversation: the bad reply, then what was wrong with it.
        var repair = _server.Requests[1];
        Assert.Equal(["user", "assistant", "user"], repair.Messages.Select(m => m.Role));
        Assert.Contains("could not be used", repair.LastUserText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunBatchAsync_ReplyThatFailsValidation_IsRepairedThenFailsWhenStillInvalid()
    {
        _server.Responder = _ => MockChatReply.Answer("""{"title":"","score":500}""");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["x"], s => s, BatchOutput.Json<Verdict>(), new BatchOptions { OutputRepairAttempts = 2 });

        var item = Assert.Single(result.Items);
        var error = Assert.IsType<StructuredOutputException>(item.Error);
        Assert.Contains("Score", error.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("500", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, item.Attempts);
        Assert.Equal(3, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_NoRepairs_FailsAtTheFirstBadReply()
    {
        _server.Responder = _ => MockChatReply.Answer("not json");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["x"], s => s, BatchOutput.Json<Verdict>(), new BatchOptions { OutputRepairAttempts = 0 });

        Assert.IsType<StructuredOutputException>(result.Items[0].Error);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_FencedJson_IsReadToo()
    {
        _server.Responder = _ => MockChatReply.Answer("```json\n{\"title\":\"t\",\"score\":1}\n```");

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["x"], s => s, BatchOutput.Json<Verdict>());

        Assert.Equal(new Verdict("t", 1), result.Outputs[0]);
    }

    [Fact]
    public async Task RunBatchAsync_TypedOutputWithGrouping_IsRefusedAtTheCall()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>("options", () => new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["x"], s => s, BatchOutput.Json<Verdict>(), new BatchOptions { MaxItemsPerRequest = 5 }));

        Assert.Contains("MaxItemsPerRequest", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.RequestCount);
    }

    private sealed record Verdict([property: Required, MinLength(1)] string Title, [property: Range(0, 100)] int Score);
}
