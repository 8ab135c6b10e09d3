using AgentBatch.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AgentBatch.Tests.Telemetry;

/// <summary>The <c>AgentBatch</c> meter, recorded from real batches against the mock endpoint.</summary>
/// <remarks>The meter is process-wide, so these tests run alone: no other batch may record while they listen.</remarks>
[Collection(MetricsRunAlone.Name)]
public sealed class AgentBatchMetricsTests : IDisposable
{
    private const string MeterName = "AgentBatch";
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly MetricCollector<long> _items = new(null, MeterName, "agentbatch.items.completed");
    private readonly MetricCollector<long> _active = new(null, MeterName, "agentbatch.items.active");
    private readonly MetricCollector<double> _duration = new(null, MeterName, "agentbatch.item.duration");
    private readonly MetricCollector<long> _tokens = new(null, MeterName, "agentbatch.tokens");
    private readonly MetricCollector<double> _cost = new(null, MeterName, "agentbatch.cost");
    private readonly MetricCollector<long> _retries = new(null, MeterName, "agentbatch.retries");

    public void Dispose()
    {
        _items.Dispose();
        _active.Dispose();
        _duration.Dispose();
        _tokens.Dispose();
        _cost.Dispose();
        _retries.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task RunBatchAsync_ThreeSucceedOneFails_RecordsItemsByStatusTokensCostAndDurations()
    {
        _server.Responder = request => request.LastUserText == "bad"
            ? MockChatReply.Error(400, "bad request")
            : MockChatReply.Answer("ok") with { PromptTokens = 10 + request.LastUserText.Length, CompletionTokens = 2 };
        var options = new BatchOptions { Pricing = new ModelPricing(1m, 2m) };

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["a", "bb", "bad", "ccc"], s => s, r => r.Text, options);

        Assert.Equal(3, result.SucceededCount);
        Assert.Equal(1, result.FailedCount);
        Assert.Equal(3, Sum(_items, "agentbatch.item.status", "succeeded"));
        Assert.Equal(1, Sum(_items, "agentbatch.item.status", "failed"));
        Assert.Equal(4, _items.GetMeasurementSnapshot().Count);

        // The token totals are the usage the server reported, which the result reports too: 11 + 12 + 13 in, 3 x 2 out.
        Assert.Equal(36, Sum(_tokens, "gen_ai.token.type", "input"));
        Assert.Equal(6, Sum(_tokens, "gen_ai.token.type", "output"));
        Assert.Equal(result.Usage.InputTokenCount, Sum(_tokens, "gen_ai.token.type", "input"));
        Assert.Equal(result.Usage.OutputTokenCount, Sum(_tokens, "gen_ai.token.type", "output"));
        Assert.Equal((double)result.Cost!.Value, _cost.GetMeasurementSnapshot().Sum(m => m.Value), 12);
        Assert.Equal((36 * 1.0 + 6 * 2.0) / 1_000_000, (double)result.Cost!.Value, 12);

        // One duration per item that ran, tagged like its count; every item left the window it entered.
        var durations = _duration.GetMeasurementSnapshot();
        Assert.Equal(4, durations.Count);
        Assert.Equal(3, durations.Count(m => m.ContainsTags(new KeyValuePair<string, object?>("agentbatch.item.status", "succeeded"))));
        Assert.All(durations, m => Assert.True(m.Value >= 0));
        var active = _active.GetMeasurementSnapshot();
        Assert.Equal(4, active.Count(m => m.Value == 1));
        Assert.Equal(0, active.Sum(m => m.Value));
        Assert.Empty(_retries.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task RunBatchAsync_TransientFaultOnce_CountsOneRetryByErrorType()
    {
        var failed = 0;
        _server.Responder = _ => Interlocked.Increment(ref failed) == 1 ? MockChatReply.Error(503) : MockChatReply.Answer("ok");

        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        Assert.Equal(2, Assert.Single(result.Items).Attempts);
        var retry = Assert.Single(_retries.GetMeasurementSnapshot());
        Assert.Equal(1, retry.Value);
        Assert.Equal("System.ClientModel.ClientResultException", retry.Tags["error.type"]);
        Assert.Equal(1, Sum(_items, "agentbatch.item.status", "succeeded"));
    }

    [Fact]
    public async Task RunBatchAsync_StoppedEarly_CountsSkippedItemsWithoutDurations()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q0", "q1", "q2"], s => s, r => r.Text, _ => true, new BatchOptions { Sequential = true });

        Assert.Equal(BatchStopReason.StopConditionMet, result.StopReason);
        Assert.Equal(1, Sum(_items, "agentbatch.item.status", "succeeded"));
        Assert.Equal(2, Sum(_items, "agentbatch.item.status", "skipped"));
        Assert.Equal(2, result.SkippedCount);
        Assert.Single(_duration.GetMeasurementSnapshot());
    }

    private static long Sum(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Where(m => m.ContainsTags(new KeyValuePair<string, object?>(tag, value))).Sum(m => m.Value);
}

/// <summary>Tests that listen to the process-wide <c>AgentBatch</c> meter run alone, so no other test's batch records into them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsRunAlone
{
    public const string Name = "Metrics";
}
