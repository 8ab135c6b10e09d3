using System.Runtime.CompilerServices;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Scheduling;

public sealed class StreamBatchTests
{
    private readonly BatchRunner _runner = new();

    [Fact]
    public async Task StreamBatchAsync_ReadsLazilyAndHoldsOnlyItemsInFlight()
    {
        const int Count = 100_000;
        const int Concurrency = 8;
        var read = 0;
        var yielded = 0;
        var maxAhead = 0;

        async IAsyncEnumerable<int> Source([EnumeratorCancellation] CancellationToken ct = default)
        {
            for (var i = 0; i < Count; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref read);
                maxAhead = Math.Max(maxAhead, Volatile.Read(ref read) - Volatile.Read(ref yielded));
                yield return i;
            }
        }

        var seen = new bool[Count];
        await foreach (var result in _runner.StreamBatchAsync(new ChatAgent(new FakeChatClient()), Source(), i => i.ToString(), r => r.Text, new BatchOptions { MaxConcurrency = Concurrency }))
        {
            Interlocked.Increment(ref yielded);
            Assert.Equal(BatchItemStatus.Succeeded, result.Status);
            Assert.Equal("Echo: " + result.Index, result.Output);
            Assert.False(seen[result.Index]);
            seen[result.Index] = true;
        }

        Assert.All(seen, Assert.True);

        // Items read but not yet handed out are bounded by the window and the hand-off buffer, however long the source.
        Assert.InRange(maxAhead, 1, (Concurrency * 2) + 2);
    }

    [Fact]
    public async Task StreamBatchAsync_OverTheWire_YieldsEveryItemOnce()
    {
        using var server = MockChatServer.Start();
        var template = new ChatAgent(server.CreateChatClient());

        var results = new List<BatchItemResult<string>>();
        await foreach (var result in _runner.StreamBatchAsync(template, Enumerable.Range(0, 30).ToAsyncEnumerable(), i => $"doc {i}", r => r.Text, new BatchOptions { MaxConcurrency = 6 }))
        {
            results.Add(result);
        }

        Assert.Equal(Enumerable.Range(0, 30), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal($"Echo: doc {r.Index}", r.Output));
    }

    [Fact]
    public async Task StreamBatchAsync_BreakingOut_CancelsItemsInFlight()
    {
        var cancelled = 0;
        var othersInFlight = 0;
        var windowFull = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new FakeChatClient
        {
            Callback = async (messages, _, ct) =>
            {
                if (FakeChatClient.LastUserText(messages) == "0")
                {
                    // Answered once the rest of the window is in flight, so that there is something to cancel.
                    await windowFull.Task.WaitAsync(Signals<int>.Guard, ct);
                    return new ChatResponse(new ChatMessage(ChatRole.Assistant, "first"));
                }

                if (Interlocked.Increment(ref othersInFlight) == 3)
                {
                    windowFull.TrySetResult();
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    throw;
                }

                return new ChatResponse();
            },
        };

        await foreach (var result in _runner.StreamBatchAsync(new ChatAgent(client), Enumerable.Range(0, 1000).ToAsyncEnumerable(), i => i.ToString(), r => r.Text, new BatchOptions { MaxConcurrency = 4 }))
        {
            Assert.Equal("first", result.Output);
            break;
        }

        // Every call but the answered one was in flight when the consumer left, and each was cancelled.
        Assert.Equal(client.Calls - 1, Volatile.Read(ref cancelled));
        Assert.InRange(client.Calls, 4, 5);
    }

    [Fact]
    public async Task StreamBatchAsync_ThrowMode_ThrowsAtTheFirstFailure()
    {
        var client = new FakeChatClient
        {
            Callback = (messages, _, _) => FakeChatClient.LastUserText(messages) == "2"
                ? throw new InvalidOperationException("bad item")
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))),
        };

        var seen = new List<int>();
        var ex = await Assert.ThrowsAsync<BatchItemException>(async () =>
        {
            await foreach (var result in _runner.StreamBatchAsync(new ChatAgent(client), Enumerable.Range(0, 10).ToAsyncEnumerable(), i => i.ToString(), r => r.Text, new BatchOptions { Sequential = true, ErrorHandling = BatchErrorHandling.Throw }))
            {
                seen.Add(result.Index);
            }
        });

        Assert.Equal(2, ex.Index);
        Assert.Equal([0, 1], seen);
    }

    [Fact]
    public async Task StreamBatchAsync_SourceThrows_YieldsFinishedItemsThenThrows()
    {
        static async IAsyncEnumerable<string> Source()
        {
            yield return "a";
            await Task.Yield();
            yield return "b";
            throw new IOException("feed broke");
        }

        var seen = new List<string?>();
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var result in _runner.StreamBatchAsync(new ChatAgent(new FakeChatClient()), Source(), s => s, r => r.Text, new BatchOptions { Sequential = true }))
            {
                seen.Add(result.Output);
            }
        });

        Assert.Equal(["Echo: a", "Echo: b"], seen);
    }

    [Fact]
    public async Task StreamBatchAsync_StopCondition_YieldsCanceledAndSkippedItemsAfterTheHit()
    {
        var client = new FakeChatClient();

        var results = new List<BatchItemResult<string>>();
        await foreach (var result in _runner.StreamBatchAsync(new ChatAgent(client), Enumerable.Range(0, 50).ToAsyncEnumerable(), i => i.ToString(), r => r.Text, r => r.Output == "Echo: 3", new BatchOptions { Sequential = true }))
        {
            results.Add(result);
        }

        Assert.Equal(50, results.Count);
        Assert.Equal(4, results.Count(r => r.Status == BatchItemStatus.Succeeded));
        Assert.Equal(46, results.Count(r => r.Status == BatchItemStatus.Skipped));
        Assert.Equal(4, client.Calls);
    }
}
