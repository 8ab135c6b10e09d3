using System.ClientModel;
using System.Collections.Concurrent;
using System.Globalization;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Resilience;

/// <summary>A thousand items against an endpoint that fails in every way at once, decided per item and per attempt.</summary>
public sealed class MixedFaultTests : IDisposable
{
    private const int ItemCount = 1000;
    private const int MaxAttempts = 4;
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly ConcurrentDictionary<int, int> _requestsPerItem = new();

    public void Dispose() => _server.Dispose();

    /// <summary>What happens to item <paramref name="i"/>: 20% 5xx, 10% 429, 5% slow, 5% malformed, a few permanent errors.</summary>
    private static Plan PlanFor(int i) => (i % 20, i % 40) switch
    {
        (0, _) => new(FailFirst: 1, _ => MockChatReply.Error(500)),
        (1, _) => new(FailFirst: 2, _ => MockChatReply.Error(502)),
        (2, _) => new(FailFirst: int.MaxValue, _ => MockChatReply.Error(503, "upstream down")),
        (3, 3) => new(FailFirst: 1, _ => MockChatReply.Error(500)),
        (3, _) => new(FailFirst: 1, _ => MockChatReply.Error(504)),
        (4, _) => new(FailFirst: 1, _ => MockChatReply.RateLimited(TimeSpan.FromMilliseconds(10))),
        (5, _) => new(FailFirst: 1, _ => MockChatReply.RateLimited()),
        (6, _) => new(FailFirst: 1, _ => MockChatReply.Answer("too late") with { Delay = TimeSpan.FromSeconds(30) }),
        (7, 7) => new(FailFirst: 1, _ => MockChatReply.Raw("""{"id":"x","choices":[{"index":0,"message":{"ro""")),
        (7, _) => new(FailFirst: int.MaxValue, _ => MockChatReply.Raw("""{"id":"x","object":"chat.completion","created":1,"model":"m"}""")),
        (8, 8) => new(FailFirst: int.MaxValue, _ => MockChatReply.Error(400, "bad request")),
        _ => new(FailFirst: 0, null),
    };

    [Fact]
    public async Task RunBatchAsync_MixedFaults_EveryItemReportedOnceWithRightOutputAndAttempts()
    {
        _server.Responder = request =>
        {
            var i = int.Parse(request.LastUserText["item ".Length..], CultureInfo.InvariantCulture);
            var attempt = _requestsPerItem.AddOrUpdate(i, 1, static (_, n) => n + 1);
            var plan = PlanFor(i);
            return attempt <= plan.FailFirst ? plan.Fault!(attempt) : MockChatReply.Answer($"answer to item {i}");
        };
        var items = Enumerable.Range(0, ItemCount).Select(i => $"item {i}").ToList();
        var options = new BatchOptions
        {
            MaxConcurrency = 32,
            MaxAttempts = MaxAttempts,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            AttemptTimeout = TimeSpan.FromSeconds(2),

            // The 429s here are drawn per item, not caused by load: adaptive concurrency would rightly shrink the window
            // and make the slow items queue behind each other. It has its own test against a concurrency-limited mock.
            AdaptiveConcurrency = false,
        };

        var client = _server.CreateChatClient();

        // Open the connections first: a fresh in-process server on a busy 2-core machine can take longer than the
        // short attempt timeout below to accept its first 32 connections, and that is not what this test is about.
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => client.GetResponseAsync("item 9")));
        _server.ResetRecording();
        _requestsPerItem.Clear();

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(client), items, s => s, r => r.Text, options);

        Assert.True(result.StopReason == BatchStopReason.Completed, $"{result.StopReason}: {result.Error}");
        Assert.Equal(ItemCount, result.Items.Count);
        Assert.Equal(Enumerable.Range(0, ItemCount), result.Items.Select(r => r.Index));
        for (var i = 0; i < ItemCount; i++)
        {
            var item = result.Items[i];
            var plan = PlanFor(i);
            Assert.Equal(_requestsPerItem.GetValueOrDefault(i), item.Attempts);
            switch (i % 20, i % 40)
            {
                case (2, _):
                    Assert.Equal(BatchItemStatus.Failed, item.Status);
                    Assert.Equal(503, Assert.IsType<ClientResultException>(item.Error).Status);
                    Assert.Equal(MaxAttempts, item.Attempts);
                    break;
                case (7, 27):
                    Assert.Equal(BatchItemStatus.Failed, item.Status);
                    Assert.True(Assert.IsType<InvalidModelResponseException>(item.Error).IsTransient);
                    Assert.Equal(MaxAttempts, item.Attempts);
                    break;
                case (8, 8):
                    Assert.Equal(BatchItemStatus.Failed, item.Status);
                    Assert.Equal(400, Assert.IsType<ClientResultException>(item.Error).Status);
                    Assert.Equal(1, item.Attempts);
                    break;
                default:
                    Assert.True(item.Status == BatchItemStatus.Succeeded, $"item {i}: {item.Status} {item.Error}");
                    Assert.Equal($"answer to item {i}", item.Output);
                    Assert.Equal($"answer to item {i}", result.Outputs[i]);
                    Assert.True(plan.FailFirst + 1 == item.Attempts, $"item {i}: {item.Attempts} attempts");
                    break;
            }
        }

        Assert.Equal(_server.RequestCount, result.Items.Sum(r => r.Attempts));
        Assert.Equal(ItemCount, result.SucceededCount + result.FailedCount);
        Assert.Equal(50 + 25 + 25, result.FailedCount);
    }

    private sealed record Plan(int FailFirst, Func<int, MockChatReply>? Fault);
}
