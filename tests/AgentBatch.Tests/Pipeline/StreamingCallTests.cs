using System.ClientModel;
using AgentBatch.Testing;
using AgentBatch.Tests.Budgets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Polly.Timeout;

namespace AgentBatch.Tests.Pipeline;

/// <summary>A custom agent that streams its model calls gets every per-call policy a non-streamed call gets.</summary>
public sealed class StreamingCallTests : IDisposable
{
    // Each call: 400 counted input tokens plus a 100-token output limit reserved; the server reports exactly that.
    private readonly MockChatServer _server = MockChatServer.Start(_ => MockChatReply.Answer("a streamed answer") with { PromptTokens = 400, CompletionTokens = 100 });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task StreamedCalls_UnderATokenCap_ReserveBeforeTheFirstByteAndNeverExceedIt()
    {
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()), new ChatOptions { MaxOutputTokens = 100 });
        var items = Enumerable.Range(0, 11).Select(i => $"item {i}").ToList();

        var result = await new BatchRunner().RunBatchAsync(template, items, s => s, r => r.Text, new BatchOptions
        {
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(400),
        });

        // Two calls of 500 fit in 1,000; the other nine were never sent.
        Assert.Equal(2, _server.RequestCount);
        Assert.All(_server.Requests, r => Assert.True(r.IsStreaming));
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Equal(1000, result.Usage.TotalTokenCount);
        Assert.Equal(2, result.SucceededCount);
        Assert.Equal("a streamed answer", result.Items[0].Output);
        Assert.All(result.Items.Skip(2), i =>
        {
            Assert.Equal(BatchItemStatus.Skipped, i.Status);
            Assert.False(i.WasSent);
            Assert.IsType<BudgetExceededException>(i.Error);
        });

        // The usage update settled each reservation: the items report what the server said, and a cost at its price.
        Assert.All(result.Items.Take(2), i =>
        {
            Assert.Equal(500, i.Usage!.TotalTokenCount);
            Assert.Equal(1, i.Attempts);
            Assert.Equal(ModelCatalog.TryGetEntry("gpt-4o-mini", out var entry) ? entry.Pricing.GetCost(400, 100) : -1, i.Cost);
        });
    }

    [Fact]
    public async Task StreamedCall_InputBeyondTheContextWindow_FailsBeforeAnythingIsSent()
    {
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        var result = await new BatchRunner().RunBatchAsync(template, [string.Join(" ", Enumerable.Range(0, 200).Select(i => $"word{i}")), "short"], s => s, r => r.Text, new BatchOptions { MaxInputTokens = 50 });

        Assert.IsType<ContextWindowExceededException>(result.Items[0].Error);
        Assert.False(result.Items[0].WasSent);
        Assert.True(result.Items[1].IsSuccess);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task StreamedCall_RateLimitedBeforeTheFirstUpdate_IsRetriedLikeAnyCall()
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1
            ? MockChatReply.RateLimited(TimeSpan.FromMilliseconds(1))
            : MockChatReply.Answer("after the retry");
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        var result = await new BatchRunner().RunBatchAsync(template, ["q"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        var item = Assert.Single(result.Items);
        Assert.True(item.IsSuccess, item.ToString());
        Assert.Equal("after the retry", item.Output);
        Assert.Equal(2, item.Attempts);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task StreamedCall_FailingAfterItsFirstUpdate_IsNotReplayedAndIsChargedItsReservation()
    {
        // The first stream breaks after one update: a stream handed on cannot be replayed. The server reported no usage
        // for it, so it is charged what was reserved (500): the second call (500) still fits 1,000, a third would not.
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1
            ? MockChatReply.Faulted(MockFault.DropAfterFirstChunk) with { Text = "a streamed answer" }
            : MockChatReply.Answer("fine") with { PromptTokens = 400, CompletionTokens = 100 };
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()), new ChatOptions { MaxOutputTokens = 100 });

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b", "c"], s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(400),
        });

        Assert.Equal(BatchItemStatus.Failed, result.Items[0].Status);
        Assert.Equal(1, result.Items[0].Attempts);
        Assert.True(result.Items[0].WasSent);
        Assert.True(result.Items[1].IsSuccess);
        Assert.Equal(BatchItemStatus.Skipped, result.Items[2].Status);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task StreamedCall_LeftAfterItsFirstUpdate_IsSettledAtItsReservation()
    {
        // The consumer stops reading after one update: the request is cancelled and, with no usage seen, charged its
        // reservation. So a cap of two reservations lets exactly two items through.
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()), new ChatOptions { MaxOutputTokens = 100 }, updatesToRead: 1);

        var result = await new BatchRunner().RunBatchAsync(template, ["a", "b", "c", "d"], s => s, r => r.Text, new BatchOptions
        {
            MaxConcurrency = 1,
            MaxTotalTokens = 1000,
            TokenCounter = new FixedTokenCounter(400),
        });

        Assert.Equal(2, result.SucceededCount);
        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(BatchStopReason.TokenLimitReached, result.StopReason);
        Assert.Null(result.Items[0].Usage);
    }

    [Fact]
    public async Task StreamedCall_NoFirstUpdateWithinTheAttemptTimeout_IsAbandonedAndRetried()
    {
        var time = new TimerRecordingTimeProvider();
        var firstAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // By the request's place, not by which responder runs first: the retry can reach the responder before the first request does.
        _server.Responder = request =>
        {
            if (request.Sequence != 0)
            {
                return MockChatReply.Answer("in time");
            }

            firstAnswered.TrySetResult();
            return MockChatReply.Answer("too late") with { Delay = TimeSpan.FromMinutes(5) };
        };
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));
        var attemptTimeout = TimeSpan.FromSeconds(7);

        var batch = new BatchRunner(null, time).RunBatchAsync(template, ["q"], s => s, r => r.Text, new BatchOptions
        {
            AttemptTimeout = attemptTimeout,
            RetryBaseDelay = TimeSpan.Zero,
        });

        // The first attempt's timer exists once its request is under way; its expiry abandons the attempt.
        await time.TimerCreatedAsync(attemptTimeout);
        await firstAnswered.Task.WaitAsync(Signals<int>.Guard);
        time.Fake.Advance(attemptTimeout);
        var result = await batch.WaitAsync(Signals<int>.Guard);

        var item = Assert.Single(result.Items);
        Assert.True(item.IsSuccess, item.ToString());
        Assert.Equal("in time", item.Output);
        Assert.Equal(2, item.Attempts);
    }

    [Fact]
    public async Task StreamedCalls_UnderARequestsPerMinuteLimit_ArePaced()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var sentAt = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset>();
        var twoAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Responder = _ =>
        {
            // Read the clock where the request is answered: the server counts a request before its responder runs.
            sentAt.Enqueue(time.GetUtcNow());
            if (sentAt.Count == 2)
            {
                twoAnswered.TrySetResult();
            }

            return MockChatReply.Answer("ok");
        };
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        var batch = new BatchRunner(null, time).RunBatchAsync(template, ["a", "b", "c"], s => s, r => r.Text, new BatchOptions { RequestsPerMinute = 2 });
        await twoAnswered.Task.WaitAsync(Signals<int>.Guard);
        time.Advance(TimeSpan.FromSeconds(61));
        var result = await batch.WaitAsync(Signals<int>.Guard);

        Assert.Equal(3, result.SucceededCount);
        Assert.Equal([DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(61)], sentAt.OrderBy(t => t));
    }

    [Fact]
    public async Task StreamedCall_WithoutTheBatchLayer_StreamsStraightThroughOutsideABatch()
    {
        var client = StreamingAgent.Wire(_server.CreateChatClient());

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("outside any batch"))
        {
            updates.Add(update);
        }

        Assert.Equal("a streamed answer", updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task StreamedCall_WrongKey_StopsTheBatchLikeAnyCall()
    {
        _server.Responder = _ => MockChatReply.Error(401, "Incorrect API key provided.");
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        var result = await new BatchRunner().RunBatchAsync(template, Enumerable.Range(0, 20).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 1 });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.Equal(401, Assert.IsType<ClientResultException>(result.Error).Status);
        Assert.Equal(1, _server.RequestCount);
        Assert.Equal(19, result.SkippedCount);
    }
}
