using System.Collections.Concurrent;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests.Resilience;

/// <summary>
/// Adaptive concurrency over the wire, deterministically: the server's replies wait on a fake clock, so the test decides
/// when each wave of requests ends and counts exactly which items were allowed to start in between.
/// </summary>
public sealed class AdaptiveConcurrencyTests : IDisposable
{
    private static readonly TimeSpan ReplyTime = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly MockChatServer _server;

    public AdaptiveConcurrencyTests()
    {
        // Every reply waits for the fake clock: an item's first request is then rate-limited, its retry answered. So
        // nothing happens between two advances of the clock, and each wave's outcome can be counted exactly.
        _server = MockChatServer.Start(
            request => _attempts.AddOrUpdate(request.LastUserText, 1, static (_, n) => n + 1) == 1
                ? MockChatReply.RateLimited() with { Delay = ReplyTime }
                : MockChatReply.Answer("ok") with { Delay = ReplyTime },
            _time);
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_RateLimitedBurst_HalvesItemsInFlightOnceThenRaisesThemAsCallsSucceed()
    {
        var batch = RunAsync(adaptive: true);

        // Eight items start (the window is 8).
        await ServerHoldsAsync(requestsSoFar: 8, held: 8, itemsStarted: 8);

        // All eight are rate-limited in one burst: the limit halves once (8 -> 4), not eight times. Their retries are
        // in flight, more than the new limit, so no ninth item starts.
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 16, held: 8, itemsStarted: 8);

        // The retries succeed: four successes raise the limit to 5, so five new items start as the eight end.
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 21, held: 5, itemsStarted: 13);

        // Those five are rate-limited, sent under the lowered limit: one more halving (5 -> 2); their retries go out.
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 26, held: 5, itemsStarted: 13);

        // Five successes raise the limit from 2 to 4; the last three items start.
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 29, held: 3, itemsStarted: 16);

        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 32, held: 3, itemsStarted: 16);
        _time.Advance(ReplyTime);
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(16, result.SucceededCount);
        Assert.All(result.Items, i => Assert.Equal(2, i.Attempts));
    }

    [Fact]
    public async Task RunBatchAsync_AdaptiveConcurrencyOff_KeepsTheFullWindowAfterA429()
    {
        var batch = RunAsync(adaptive: false);

        await ServerHoldsAsync(requestsSoFar: 8, held: 8, itemsStarted: 8);
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 16, held: 8, itemsStarted: 8);

        // Without adaptation the next eight start at once, into the same rate limit.
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 24, held: 8, itemsStarted: 16);
        _time.Advance(ReplyTime);
        await ServerHoldsAsync(requestsSoFar: 32, held: 8, itemsStarted: 16);
        _time.Advance(ReplyTime);
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(16, result.SucceededCount);
    }

    private Task<BatchResult<string>> RunAsync(bool adaptive)
    {
        var options = new BatchOptions { MaxConcurrency = 8, RetryBaseDelay = TimeSpan.Zero, AdaptiveConcurrency = adaptive, AttemptTimeout = null };
        var items = Enumerable.Range(0, 16).Select(i => $"item {i}");
        return new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), items, s => s, r => r.Text, options);
    }

    /// <summary>Waits until a wave has arrived: so many requests in all, so many held, and no more items started than expected.</summary>
    private async Task ServerHoldsAsync(int requestsSoFar, int held, int itemsStarted)
    {
        var guard = DateTime.UtcNow + Signals<int>.Guard;

        // The server counts a request before it asks the responder about it: wait for the responder too, or the last
        // request of a wave may be counted and held while its item is not yet in the attempts.
        while (_server.RequestCount < requestsSoFar || _server.ConcurrentRequests != held || _attempts.Values.Sum() < requestsSoFar)
        {
            Assert.True(DateTime.UtcNow < guard, $"{_server.RequestCount} requests, {_server.ConcurrentRequests} held; expected {requestsSoFar} and {held}");
            await Task.Delay(2);
        }

        Assert.Equal(requestsSoFar, _server.RequestCount);
        Assert.Equal(itemsStarted, _attempts.Count);
    }
}
