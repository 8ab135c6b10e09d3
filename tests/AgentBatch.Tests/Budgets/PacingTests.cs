using System.Collections.Concurrent;
using AgentBatch.Internal;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests.Budgets;

/// <summary>Tokens- and requests-per-minute pacing, driven by a fake clock so no test waits for real time.</summary>
public sealed class PacingTests
{
    [Fact]
    public async Task TokensPerMinute_StartsCallsOnlyWhenTheWindowHasRoom_AndChargesReportedUsage()
    {
        // Estimate 150 + 100 = 250 per call; reported 200. A 1,000-token minute takes 4 calls at once; after they
        // report, 800 are spent and a fifth estimate (250) still does not fit until the minute has passed.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var receivedAt = new ConcurrentQueue<(DateTimeOffset At, int Tokens)>();
        var providerLimit = new MockTokenRateLimit(1000, time);
        using var server = MockChatServer.Start(providerLimit.Wrap(_ =>
        {
            receivedAt.Enqueue((time.GetUtcNow(), 200));
            return MockChatReply.Answer("ok") with { PromptTokens = 150, CompletionTokens = 50 };
        }));
        var completed = 0;
        var waves = new Signals<int>();
        var progress = new InlineProgress(p =>
        {
            if (Interlocked.Increment(ref completed) % 4 == 0)
            {
                waves.Set(p.Completed);
            }
        });
        var template = new ChatAgent(server.CreateChatClient(), new ChatAgentOptions { ChatOptions = new ChatOptions { MaxOutputTokens = 100 } });

        var batch = new BatchRunner(null, time).RunBatchAsync(template, Enumerable.Range(0, 12).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 10,
            TokensPerMinute = 1000,
            TokenCounter = new FixedTokenCounter(150),
            Progress = progress,
        });

        await waves.WaitAsync(4);
        Assert.Equal(4, server.RequestCount);
        time.Advance(TimeSpan.FromSeconds(61));
        await waves.WaitAsync(8);
        Assert.Equal(8, server.RequestCount);
        time.Advance(TimeSpan.FromSeconds(61));
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(12, result.SucceededCount);
        Assert.Equal(0, providerLimit.RejectedCount);
        Assert.Equal(2400, providerLimit.TotalTokensServed);
        foreach (var minute in receivedAt.GroupBy(r => r.At))
        {
            Assert.InRange(minute.Sum(r => r.Tokens), 1, 1000);
        }
    }

    [Fact]
    public async Task Limiter_ReconcileBelowEstimate_ServesTheNextWaiterAtOnce()
    {
        var time = new FakeTimeProvider();
        using var limiter = new SlidingWindowLedgerLimiter(1000, TimeSpan.FromMinutes(1), time);

        using var first = await limiter.AcquireLeaseAsync(600, CancellationToken.None);
        var second = limiter.AcquireLeaseAsync(600, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);

        first.Reconcile(300);
        using var granted = await second.WaitAsync(Signals<int>.Guard);
        Assert.True(granted.IsAcquired);
        Assert.Equal(100, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Limiter_FullWindow_WaitsForTheOldestLeaseToExpire()
    {
        var time = new FakeTimeProvider();
        using var limiter = new SlidingWindowLedgerLimiter(100, TimeSpan.FromMinutes(1), time);

        using var early = await limiter.AcquireLeaseAsync(60, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(30));
        using var late = await limiter.AcquireLeaseAsync(40, CancellationToken.None);
        var waiting = limiter.AcquireLeaseAsync(50, CancellationToken.None).AsTask();

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        using var granted = await waiting.WaitAsync(Signals<int>.Guard);
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Limiter_ServesWaitersInArrivalOrder()
    {
        var time = new FakeTimeProvider();
        using var limiter = new SlidingWindowLedgerLimiter(10, TimeSpan.FromMinutes(1), time);
        using var full = await limiter.AcquireLeaseAsync(10, CancellationToken.None);

        var big = limiter.AcquireLeaseAsync(8, CancellationToken.None).AsTask();
        var small = limiter.AcquireLeaseAsync(1, CancellationToken.None).AsTask();
        full.Reconcile(5);

        // Five permits are free: the small request would fit, but the big one came first.
        Assert.False(big.IsCompleted);
        Assert.False(small.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        await Task.WhenAll(big, small).WaitAsync(Signals<int>.Guard);
    }

    [Fact]
    public async Task Limiter_CancelledWaiter_LeavesTheQueue()
    {
        var time = new FakeTimeProvider();
        using var limiter = new SlidingWindowLedgerLimiter(10, TimeSpan.FromMinutes(1), time);
        using var full = await limiter.AcquireLeaseAsync(10, CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var cancelled = limiter.AcquireLeaseAsync(5, cts.Token).AsTask();
        var next = limiter.AcquireLeaseAsync(5, CancellationToken.None).AsTask();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        full.Reconcile(5);
        using var lease = await next.WaitAsync(Signals<int>.Guard);
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public void Limiter_RequestLargerThanTheWindow_ThrowsClearly()
    {
        using var limiter = new SlidingWindowLedgerLimiter(100, TimeSpan.FromMinutes(1), new FakeTimeProvider());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(101));
        Assert.Contains("could never be made", ex.Message);
    }

    private sealed class InlineProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
