using System.Text.Json;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.ProviderBatches;

/// <summary>
/// The provider batch lane through the real OpenAI client (its file and batch clients) against the mock's Batch API, on
/// a clock that moves when the lane waits: every poll's answer is exact, and nothing sleeps.
/// </summary>
public sealed class OpenAIProviderBatchTests : IDisposable
{
    private readonly AdvancingTimeProvider _time = new();
    private readonly MockChatServer _server;

    public OpenAIProviderBatchTests()
    {
        _server = MockChatServer.Start(Answer, _time);
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_1000Items_InInputOrderAtHalfTheLivePrice()
    {
        var items = Enumerable.Range(0, 1000).Select(i => $"question {i}").ToArray();

        var batched = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane());
        var batchRequests = _server.RequestCount;
        // Live calls on the system clock: the test clock would run their attempt timeouts out at once.
        var live = await new BatchRunner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 32 });

        Assert.True(batched.Items.All(i => i.IsSuccess), string.Join("\n", batched.Items.Where(i => !i.IsSuccess).Take(3).Select(i => i.ToString() + " " + i.Error)));
        Assert.Equal(items.Select(q => "answer to " + q), batched.Outputs);
        Assert.Equal(live.Outputs, batched.Outputs);
        Assert.All(batched.Items, item => Assert.Equal((BatchItemStatus.Succeeded, 1, true), (item.Status, item.Attempts, item.WasSent)));
        Assert.Equal(BatchStopReason.Completed, batched.StopReason);
        Assert.Equal(live.Usage.TotalTokenCount, batched.Usage.TotalTokenCount);
        Assert.Equal(0.5m, batched.Cost / live.Cost);
        Assert.Equal(live.Items.Select(i => i.Cost / 2), batched.Items.Select(i => i.Cost));

        var batch = Assert.Single(_server.Batches.Created);
        Assert.Equal((MockBatchState.Completed, 1000), (batch.State, batch.Succeeded));
        Assert.Equal(1000, batchRequests);
        Assert.NotEqual(batch.CustomIds, batch.ResultOrder);
        Assert.True(batch.Metadata.ContainsKey("agentbatch_submission"));
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_EachLineIsTheRequestALiveCallSends()
    {
        var options = new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = new ChatOptions { MaxOutputTokens = 40, Temperature = 0.2f } };
        options.InitialMessages.Add(new ChatMessage(ChatRole.User, "example"));
        options.InitialMessages.Add(new ChatMessage(ChatRole.Assistant, "answer to example"));
        var template = Template(options);

        await Runner().RunBatchAsync(template, ["question 1"], q => q, r => r.Text, Lane());
        var batched = _server.Requests.Single();
        _server.ResetRecording();
        await new BatchRunner().RunBatchAsync(template, ["question 1"], q => q, r => r.Text);
        var live = _server.Requests.Single();

        Assert.Equal(Normalized(live.RawBody), Normalized(batched.RawBody));
        Assert.NotNull(batched.BatchId);
        var line = JsonDocument.Parse(Assert.Single(_server.Batches.Files, f => f.Purpose == "batch").Lines.Single()).RootElement;
        Assert.Equal("POST", line.GetProperty("method").GetString());
        Assert.Equal("/v1/chat/completions", line.GetProperty("url").GetString());
        Assert.Equal(batched.CustomId, line.GetProperty("custom_id").GetString());
    }

    [Fact]
    public async Task RunBatchAsync_ProviderBatch_TypedOutput_AsksForTheSchemaAndReadsTheReply()
    {
        _server.Responder = request => MockChatReply.Answer($$"""{"city":"{{request.LastUserText}}","score":3}""");

        var result = await Runner().RunBatchAsync(Template(), ["Paris", "Oslo"], q => q, BatchOutput.Json<CityScore>(), Lane());

        Assert.Equal([new CityScore("Paris", 3), new CityScore("Oslo", 3)], result.Outputs);
        Assert.All(_server.Requests, r => Assert.Contains("\"json_schema\"", r.RawBody, StringComparison.Ordinal));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static MockChatReply Answer(MockChatRequest request) =>
        MockChatReply.Answer("answer to " + request.LastUserText) with { PromptTokens = 20 + (request.LastUserText.Length % 7), CompletionTokens = 5 };

    private BatchRunner Runner() => new(null, _time);

    private ChatAgent Template(ChatAgentOptions? options = null) =>
        new(_server.CreateChatClient(), options ?? new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = new ChatOptions { MaxOutputTokens = 50 } });

    private static BatchOptions Lane(Action<ProviderBatchOptions>? configure = null)
    {
        var options = new BatchOptions { Execution = BatchExecution.ProviderBatch };
        configure?.Invoke(options.ProviderBatch);
        return options;
    }

    /// <summary>A request body with its keys in order, to compare two bodies written by the same client.</summary>
    private static string Normalized(string body) => JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement);

    public sealed record CityScore(string City, int Score);
}
