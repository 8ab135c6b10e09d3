using AgentBatch.Internal;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Resilience;

/// <summary>Replies and headers a server should never send: each is named, retried where another attempt may help, and never crashes an item.</summary>
public sealed class MalformedReplyTests : IDisposable
{
    private static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(1);
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    public static TheoryData<string> WrongTypeBodies => new()
    {
        """{"id":"x","object":"chat.completion","created":"yesterday","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}""",
        """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":"hi","finish_reason":"stop"}]}""",
        """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":"none"}""",
        """{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":"many"}}""",
    };

    [Theory]
    [MemberData(nameof(WrongTypeBodies))]
    public async Task RunBatchAsync_SuccessStatusWithWrongTypes_IsAnInvalidResponseAndRetried(string body)
    {
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1 ? MockChatReply.Raw(body) : MockChatReply.Answer("good");

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["q"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry });

        var item = Assert.Single(result.Items);
        Assert.True(item.IsSuccess, item.ToString());
        Assert.Equal("good", item.Output);
        Assert.Equal(2, item.Attempts);
    }

    [Theory]
    [MemberData(nameof(WrongTypeBodies))]
    public async Task RunBatchAsync_SuccessStatusWithWrongTypesEveryTime_FailsAsInvalidModelResponse(string body)
    {
        _server.Responder = _ => MockChatReply.Raw(body);

        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["q"], s => s, r => r.Text, new BatchOptions { RetryBaseDelay = FastRetry, MaxAttempts = 2 });

        var item = Assert.Single(result.Items);
        Assert.IsType<InvalidModelResponseException>(item.Error);
        Assert.Equal(2, item.Attempts);
    }

    [Theory]
    [InlineData("retry-after-ms", "1e300")]
    [InlineData("retry-after-ms", "99999999999999999999999")]
    [InlineData("Retry-After", "1e300")]
    [InlineData("Retry-After", "Infinity")]
    [InlineData("Retry-After", "922337203685477")]
    public async Task RunBatchAsync_RetryAfterTooLargeForATimeSpan_WaitsTheLongestWaitAndRetries(string header, string value)
    {
        var time = new TimerRecordingTimeProvider();
        var calls = 0;
        _server.Responder = _ => Interlocked.Increment(ref calls) == 1
            ? MockChatReply.Error(503, "busy") with { Headers = new Dictionary<string, string> { [header] = value } }
            : MockChatReply.Answer("after the wait");

        var batch = new BatchRunner(null, time).RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["q"], s => s, r => r.Text);

        // The server's wait is capped at 60 s before it becomes a TimeSpan: the retry waits exactly that long.
        await time.TimerCreatedAsync(ResilienceConstants.MaxRetryDelay);
        time.Fake.Advance(ResilienceConstants.MaxRetryDelay);
        var result = await batch.WaitAsync(Signals<int>.Guard);

        var item = Assert.Single(result.Items);
        Assert.True(item.IsSuccess, item.ToString());
        Assert.Equal(2, item.Attempts);
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("not a number")]
    public async Task RetryAfter_OddValues_NeverThrowAndNeverExceedTheLongestWait(string value)
    {
        _server.Responder = _ => MockChatReply.Error(503) with { Headers = new Dictionary<string, string> { ["retry-after-ms"] = value, ["Retry-After"] = value } };
        var error = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => _server.CreateChatClient().GetResponseAsync("q"));

        var wait = TransientFaults.RetryAfter(TransientFaults.Read(error, OpenAIFaultClassifier.Default, out _));

        Assert.True(wait is null || (wait >= TimeSpan.Zero && wait <= ResilienceConstants.MaxRetryDelay), $"{wait}");
    }
}
