using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace AgentBatch.Tests.Scheduling;

/// <summary>Scheduling semantics, driven through an in-memory chat client so the tests control every completion.</summary>
public sealed class BatchRunnerBehaviorTests
{
    private readonly BatchRunner _runner = new();

    [Fact]
    public async Task RunBatchAsync_SlidingWindow_StartsNextItemAsSoonAsOneFinishes()
    {
        var started = new Signals<string>();
        var release = new Signals<string>();
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                started.Set(input);
                await release[input].Task.WaitAsync(ct);
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, input));
            },
        };
        string[] items = ["slow", "fast", "next", "last"];

        var batch = _runner.RunBatchAsync(new ChatAgent(client), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 2 });

        await started.WaitAsync("slow");
        await started.WaitAsync("fast");
        Assert.False(started.IsSet("next"));
        release.Set("fast");

        // "next" starts while "slow" is still running: the window slides, it does not wait for the whole chunk.
        await started.WaitAsync("next");
        Assert.False(release.IsSet("slow"));
        Assert.False(started.IsSet("last"));

        release.Set("slow");
        release.Set("next");
        await started.WaitAsync("last");
        release.Set("last");

        var result = await batch.WaitAsync(Signals<string>.Guard);
        Assert.Equal(items, result.Outputs);
        Assert.Equal(2, client.MaxInFlight);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public async Task RunBatchAsync_NeverExceedsMaxConcurrency(int maxConcurrency)
    {
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                await Task.Yield();
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, FakeChatClient.LastUserText(messages)));
            },
        };

        var result = await _runner.RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 300).Select(i => i.ToString()), s => s, r => r.Text, new BatchOptions { MaxConcurrency = maxConcurrency });

        Assert.Equal(300, result.SucceededCount);
        Assert.InRange(client.MaxInFlight, 1, maxConcurrency);
    }

    [Fact]
    public async Task RunBatchAsync_Sequential_RunsOneAtATimeInInputOrder()
    {
        var order = new ConcurrentQueue<string>();
        var client = new FakeChatClient
        {
            Callback = async (messages, _, _) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                order.Enqueue(input);
                await Task.Yield();
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, input));
            },
        };
        var items = Enumerable.Range(0, 50).Select(i => i.ToString()).ToList();

        var result = await _runner.RunBatchAsync(new ChatAgent(client), items, s => s, r => r.Text, new BatchOptions { Sequential = true });

        Assert.Equal(items, order);
        Assert.Equal(1, client.MaxInFlight);
        Assert.Equal(items, result.Outputs);
    }

    [Fact]
    public async Task RunBatchAsync_ThrowMode_CancelsItemsInFlightAndStartsNoMore()
    {
        var cancelled = new ConcurrentBag<string>();
        var started = new Signals<string>();
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                started.Set(input);
                if (input == "fail")
                {
                    await started.WaitAsync("wait-1");
                    await started.WaitAsync("wait-2");
                    throw new InvalidOperationException("model exploded");
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled.Add(input);
                    throw;
                }

                return new ChatResponse();
            },
        };
        string[] items = ["wait-1", "wait-2", "fail", "never-1", "never-2"];

        var ex = await Assert.ThrowsAsync<BatchItemException>(() => _runner.RunBatchAsync(
            new ChatAgent(client), items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 3, ErrorHandling = BatchErrorHandling.Throw }));

        Assert.Equal(2, ex.Index);
        Assert.Equal("model exploded", ex.InnerException!.Message);
        Assert.Equal(["wait-1", "wait-2"], cancelled.Order());
        Assert.False(started.IsSet("never-1"));
        Assert.Equal(3, client.Calls);
    }

    [Fact]
    public async Task RunBatchAsync_CallerCancellation_CancelsInFlightCallsAndThrows()
    {
        using var cts = new CancellationTokenSource();
        var started = new Signals<int>();
        var cancelledCalls = 0;
        var inFlightSeen = 0;
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                if (Interlocked.Increment(ref inFlightSeen) == 4)
                {
                    started.Set(0);
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelledCalls);
                    throw;
                }

                return new ChatResponse();
            },
        };

        var batch = _runner.RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 20).Select(i => i.ToString()), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4 }, cts.Token);
        await started.WaitAsync(0);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch.WaitAsync(Signals<int>.Guard));
        Assert.Equal(4, Volatile.Read(ref cancelledCalls));
        Assert.Equal(4, client.Calls);
    }

    [Fact]
    public async Task RunBatchAsync_AlreadyCancelledToken_ThrowsWithoutCalls()
    {
        var client = new FakeChatClient();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _runner.RunBatchAsync(new ChatAgent(client), ["a"], s => s, r => r.Text, cancellationToken: new CancellationToken(canceled: true)));
        Assert.Equal(0, client.Calls);
    }

    [Fact]
    public async Task RunBatchAsync_StopCondition_CancelsInFlightSkipsTheRestAndAccountsForEveryItem()
    {
        var started = new Signals<string>();
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                started.Set(input);
                if (input == "hit")
                {
                    await started.WaitAsync("miss-1");
                    return new ChatResponse(new ChatMessage(ChatRole.Assistant, "FOUND"));
                }

                if (input == "miss-0")
                {
                    return new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Empty));
                }

                await Task.Delay(Timeout.Infinite, ct);
                return new ChatResponse();
            },
        };
        var items = new[] { "miss-0", "hit", "miss-1" }.Concat(Enumerable.Range(0, 20).Select(i => $"later-{i}")).ToList();

        var result = await _runner.RunBatchAsync(
            new ChatAgent(client), items, s => s, r => r.Text, stopCondition: r => !string.IsNullOrEmpty(r.Output), new BatchOptions { MaxConcurrency = 3 });

        Assert.Equal(BatchStopReason.StopConditionMet, result.StopReason);
        Assert.Equal(items.Count, result.Items.Count);
        Assert.Equal("FOUND", result.Outputs[1]);
        Assert.Equal(BatchItemStatus.Succeeded, result.Items[0].Status);
        Assert.Equal(BatchItemStatus.Canceled, result.Items[2].Status);

        // "later-0" may have taken the slot "miss-0" freed before the hit; nothing after it can have started.
        Assert.Contains(result.Items[3].Status, new[] { BatchItemStatus.Canceled, BatchItemStatus.Skipped });
        Assert.All(result.Items.Skip(4), i => Assert.Equal(BatchItemStatus.Skipped, i.Status));
        Assert.Equal(items.Count, result.SucceededCount + result.FailedCount + result.SkippedCount + result.CanceledCount);
        Assert.False(started.IsSet("later-5"));
    }

    [Fact]
    public async Task RunBatchAsync_ItemTimeout_FailsThatItemAndTheBatchGoesOn()
    {
        var time = new FakeTimeProvider();
        var runner = new BatchRunner(null, time);
        var hangStarted = new Signals<int>();
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                if (input == "hang")
                {
                    hangStarted.Set(0);
                    await Task.Delay(Timeout.Infinite, ct);
                }

                return new ChatResponse(new ChatMessage(ChatRole.Assistant, input));
            },
        };

        var batch = runner.RunBatchAsync(new ChatAgent(client), ["a", "hang", "b"], s => s, r => r.Text, new BatchOptions { ItemTimeout = TimeSpan.FromSeconds(30) });
        await hangStarted.WaitAsync(0);
        time.Advance(TimeSpan.FromSeconds(31));
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(BatchItemStatus.Failed, result.Items[1].Status);
        Assert.IsType<TimeoutException>(result.Items[1].Error);
        Assert.Equal(["a", null, "b"], result.Outputs);
    }

    [Fact]
    public async Task RunBatchAsync_Progress_ReportsEveryCompletionWithRisingCounts()
    {
        var reports = new ConcurrentQueue<BatchProgress>();
        var client = new FakeChatClient
        {
            Callback = (messages, _, _) =>
            {
                var input = FakeChatClient.LastUserText(messages);
                if (input == "3")
                {
                    throw new InvalidOperationException("boom");
                }

                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, input)) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 } });
            },
        };

        await _runner.RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 10).Select(i => i.ToString()).ToList(), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 4, Progress = new SyncProgress(reports.Enqueue) });

        var all = reports.ToList();
        Assert.Equal(10, all.Count);
        Assert.Equal(Enumerable.Range(1, 10), all.Select(p => p.Completed));
        Assert.All(all, p => Assert.Equal(10, p.Total));
        var last = all[^1];
        Assert.Equal(100.0, last.Percentage);
        Assert.Equal(1, last.Failed);
        Assert.Equal(9, last.Succeeded);
        Assert.Equal(90, last.InputTokens);
        Assert.Equal(108, last.TotalTokens);
        Assert.Equal(TimeSpan.Zero, last.EstimatedRemaining);
    }

    [Fact]
    public async Task RunBatchAsync_AgentFactory_GetsEachIndexOnce()
    {
        var client = new FakeChatClient();
        var indices = new ConcurrentBag<int>();

        var result = await _runner.RunBatchAsync(
            index => { indices.Add(index); return new ChatAgent(client, new ChatAgentOptions { Name = $"custom-{index}" }); },
            Enumerable.Range(0, 30).Select(i => i.ToString()),
            s => s,
            r => r.Text);

        Assert.Equal(Enumerable.Range(0, 30), indices.Order());
        Assert.Equal(30, result.SucceededCount);
    }

    [Fact]
    public async Task RunBatchAsync_CloneOrFactoryFailure_FailsOnlyThatItem()
    {
        var client = new FakeChatClient();

        var result = await _runner.RunBatchAsync(
            index => index switch
            {
                1 => throw new InvalidOperationException("cannot clone"),
                2 => null!,
                _ => new ChatAgent(client),
            },
            ["a", "b", "c", "d"],
            s => s,
            r => r.Text);

        Assert.Equal([BatchItemStatus.Succeeded, BatchItemStatus.Failed, BatchItemStatus.Failed, BatchItemStatus.Succeeded], result.Items.Select(i => i.Status));
        Assert.Equal("cannot clone", result.Items[1].Error!.Message);
        Assert.Contains("returned null", result.Items[2].Error!.Message);
    }

    [Fact]
    public async Task RunBatchAsync_SourceThrowsMidway_FaultsButKeepsFinishedItems()
    {
        static IEnumerable<string> Source()
        {
            yield return "a";
            yield return "b";
            throw new IOException("disk gone");
        }

        var result = await _runner.RunBatchAsync(new ChatAgent(new FakeChatClient()), Source(), s => s, r => r.Text, new BatchOptions { Sequential = true });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.IsType<IOException>(result.Error);
        Assert.Equal(["Echo: a", "Echo: b"], result.Outputs);
    }

    [Fact]
    public async Task RunBatchAsync_UnboundedConcurrency_StartsEveryItem()
    {
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                if (Interlocked.Increment(ref started) == 64)
                {
                    allStarted.SetResult();
                }

                // No call can finish until all 64 are in flight at once.
                await allStarted.Task.WaitAsync(ct);
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "x"));
            },
        };

        var result = await _runner.RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 64).Select(i => i.ToString()), s => s, r => r.Text, new BatchOptions { MaxConcurrency = null })
            .WaitAsync(Signals<int>.Guard);

        Assert.Equal(64, client.MaxInFlight);
        Assert.Equal(64, result.SucceededCount);
    }

    private sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
