using AgentBatch.Testing;
using Anthropic;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using ClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Tests.ProviderBatches;

/// <summary>The provider batch lane through the real Anthropic client (<c>Messages.Batches</c>) against the mock's Message Batches, on a clock that moves when the lane waits.</summary>
public sealed class AnthropicProviderBatchTests : IDisposable
{
    private const string Model = "claude-test-1";
    private static readonly ModelPricing Price = new(3m, 15m);
    private readonly AdvancingTimeProvider _time = new();
    private readonly MockChatServer _server;
    private readonly AnthropicClient _anthropic;

    public AnthropicProviderBatchTests()
    {
        _server = MockChatServer.Start(Answer, _time);
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(2);
        _anthropic = new AnthropicClient(new ClientOptions { ApiKey = "mock-anthropic-key", BaseUrl = _server.Url.ToString(), MaxRetries = 0 });
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_1000Items_InInputOrderWithUsageAtHalfPrice()
    {
        var items = Enumerable.Range(0, 1000).Select(i => $"question {i}").ToArray();

        var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane());
        var batched = _server.Requests.First(r => r.LastUserText == "question 7");

        // The same items live, through the mock's Messages API, on the system clock.
        var live = await new BatchRunner().RunBatchAsync(Template(), items, q => q, r => r.Text, new BatchOptions { MaxConcurrency = 16, Pricing = Price });

        Assert.Equal(live.Outputs, result.Outputs);
        Assert.Equal(0.5m, result.Cost / live.Cost);
        Assert.Equal(Normalized(_server.Requests.Last(r => r.LastUserText == "question 7").RawBody), Normalized(batched.RawBody));
        Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
        Assert.All(result.Items, item =>
        {
            Assert.Equal((BatchItemStatus.Succeeded, 1, 5L), (item.Status, item.Attempts, item.Usage!.OutputTokenCount));
            Assert.Equal(Price.ForProviderBatch().GetCost(item.Usage), item.Cost);
            Assert.Equal(Price.GetCost(item.Usage) / 2, item.Cost);
        });
        var batch = Assert.Single(_server.Batches.Created);
        Assert.Equal((MockBatchProvider.Anthropic, MockBatchState.Completed, 1000), (batch.Provider, batch.State, batch.Succeeded));
        Assert.All(_server.Requests, r => Assert.Equal(("Be brief.", 50, Model), (r.SystemText, r.MaxTokens, r.Model)));
        Assert.Equal("mock-anthropic-key", _server.Requests[0].ApiKey);
        Assert.Equal(1000, _server.Requests.Count(r => r.BatchId == batch.Id));
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_MixedSucceededErroredExpired_EachItemGetsTheProvidersReason()
    {
        _server.Batches.AutoAdvanceInterval = null;
        _server.Responder = request => request.LastUserText == "question 1" ? MockChatReply.Error(400, "prompt is too long") : Answer(request);
        var recorder = new RecordingBatchClient(new AnthropicProviderBatchClient(_anthropic));
        var items = Enumerable.Range(0, 8).Select(i => $"question {i}").ToArray();
        _time.Hold();

        var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => p.Client = recorder));
        await recorder.WaitForSubmissionsAsync(1);
        var id = recorder.Submitted.Single();
        _server.Batches.Process(id, 8);
        _server.Batches.Expire(id);
        _time.Release();
        var result = await run;

        var bad = result.Items[1];
        Assert.Equal(BatchItemStatus.Failed, bad.Status);
        Assert.Equal("prompt is too long", Assert.IsType<AnthropicBadRequestException>(bad.Error).ApiMessage);
        Assert.All(result.Items.Where(i => i.Index != 1), i => Assert.Equal("answer to " + items[i.Index], i.Output));
        Assert.Equal(8, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_ExpiresPartWay_KeepsWhatFinishedAndFailsTheRestAsExpired()
    {
        _server.Batches.AutoAdvanceInterval = null;
        var recorder = new RecordingBatchClient(new AnthropicProviderBatchClient(_anthropic));
        var items = Enumerable.Range(0, 8).Select(i => $"question {i}").ToArray();
        _time.Hold();

        var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => p.Client = recorder));
        await recorder.WaitForSubmissionsAsync(1);
        _server.Batches.Expire(recorder.Submitted.Single(), afterLines: 5);
        _time.Release();
        var result = await run;

        Assert.Equal(5, result.SucceededCount);
        Assert.All(result.Items.Where(i => !i.IsSuccess), i =>
            Assert.Equal((BatchItemStatus.Failed, ProviderBatchOutcome.Expired, 0m), (i.Status, Assert.IsType<ProviderBatchItemException>(i.Error).Outcome, i.Cost)));
        Assert.Equal(5, _server.RequestCount);
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_CancelledWithTheOption_CancelsTheMessageBatch()
    {
        var recorder = new RecordingBatchClient(new AnthropicProviderBatchClient(_anthropic));
        _time.Hold();
        using var cts = new CancellationTokenSource();

        var run = Runner().RunBatchAsync(Template(), ["a", "b"], q => q, r => r.Text, Lane(p =>
        {
            p.Client = recorder;
            p.CancelOnCancellation = true;
        }), cts.Token);
        await recorder.WaitForSubmissionsAsync(1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        _time.Release();
        var batch = _server.Batches.Get(recorder.Submitted.Single());
        Assert.Equal((1, MockBatchState.Cancelling), (batch.CancelCount, batch.State));
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_ToolUseRoundTrips_GoInSuccessiveBatchesAsToolUseAndToolResultBlocks()
    {
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("get_weather", $$"""{"city":"{{request.LastUserText}}"}""")) with { PromptTokens = 30, CompletionTokens = 9 }
            : MockChatReply.Answer($"It is sunny in {request.LastUserText}.");
        var weather = AIFunctionFactory.Create((string city) => $"{city}: 18 C, clear", "get_weather");
        var template = Template(new ChatOptions { Tools = [weather], MaxOutputTokens = 50 });

        var result = await Runner().RunBatchAsync(template, ["Paris", "Oslo"], q => q, r => r.Text, Lane());

        Assert.Equal(["It is sunny in Paris.", "It is sunny in Oslo."], result.Outputs);
        Assert.Equal([2, 2], result.Items.Select(i => i.Attempts));
        Assert.Equal(2, _server.Batches.Created.Count);
        var answered = _server.Requests.Single(r => r.LastUserText == "Paris" && r.ToolResultCount == 1);
        Assert.Equal(["system", "user", "assistant", "tool"], answered.Messages.Select(m => m.Role));
        Assert.Contains("Paris: 18 C, clear", answered.Messages[3].Content, StringComparison.Ordinal);
        Assert.Equal(["get_weather"], answered.ToolNames);
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_RestartedWithTheStore_ReattachesWithoutSubmittingAgain()
    {
        var path = Path.Combine(Path.GetTempPath(), "agentbatch-anthropic-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            var items = Enumerable.Range(0, 12).Select(i => $"question {i}").ToArray();
            var first = new RecordingBatchClient(new AnthropicProviderBatchClient(_anthropic));
            _time.Hold();
            using (var cts = new CancellationTokenSource())
            using (var store = new FileProviderBatchStore(path))
            {
                var run = Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => (p.Client, p.Store, p.RunId) = (first, store, "nightly")), cts.Token);
                await first.WaitForSubmissionsAsync(1);
                await cts.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            }

            _time.Release();
            var second = new RecordingBatchClient(new AnthropicProviderBatchClient(_anthropic));
            using (var store = new FileProviderBatchStore(path))
            {
                var result = await Runner().RunBatchAsync(Template(), items, q => q, r => r.Text, Lane(p => (p.Client, p.Store, p.RunId) = (second, store, "nightly")));
                Assert.Equal(items.Select(q => "answer to " + q), result.Outputs);
            }

            Assert.Empty(second.Submissions);
            Assert.Single(_server.Batches.Created);
            Assert.Equal(items.Length, _server.RequestCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static MockChatReply Answer(MockChatRequest request) =>
        MockChatReply.Answer("answer to " + request.LastUserText) with { PromptTokens = 20, CompletionTokens = 5 };

    private BatchRunner Runner() => new(null, _time);

    private ChatAgent Template(ChatOptions? options = null)
    {
        // AgentBatch.Anthropic's chat client carries the client's Message Batches: one option switches the lane.
        return new ChatAgent(_anthropic.AsBatchChatClient(Model), new ChatAgentOptions { Instructions = "Be brief.", ChatOptions = options ?? new ChatOptions { MaxOutputTokens = 50 } });
    }

    /// <summary>A request body with its keys in order, to compare two bodies written by the same client.</summary>
    private static string Normalized(string body) => System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(body).RootElement);

    private static BatchOptions Lane(Action<ProviderBatchOptions>? configure = null)
    {
        var options = new BatchOptions { Execution = BatchExecution.ProviderBatch, Pricing = Price };
        configure?.Invoke(options.ProviderBatch);
        return options;
    }
}
