using AgentBatch.Internal;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Tests.Resilience;

/// <summary>The retry predicate, fed the exceptions the real OpenAI client throws for each kind of reply.</summary>
public sealed class TransientFaultsTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start();

    public void Dispose() => _server.Dispose();

    public static TheoryData<string, bool> WireReplies => new()
    {
        { "500", true },
        { "502", true },
        { "503", true },
        { "408", true },
        { "429", true },
        { "429-retry-after", true },
        { "400", false },
        { "401", false },
        { "403", false },
        { "404", false },
        { "400-content-filter", false },
        { "malformed-json", true },
        { "empty-reply", true },
        { "broken-chunk", true },
        { "no-choices", true },
    };

    [Theory]
    [MemberData(nameof(WireReplies))]
    public async Task IsTransient_ExceptionFromRealClient_MatchesRetryPolicy(string reply, bool transient)
    {
        var error = await CaptureAsync(reply);

        Assert.Equal(transient, TransientFaults.IsTransient(error));
    }

    [Fact]
    public void IsTransient_ExceptionsOutsideTheWire_AreClassified()
    {
        Assert.True(TransientFaults.IsTransient(new TimeoutRejectedException()));
        Assert.True(TransientFaults.IsTransient(new HttpRequestException("connection reset")));
        Assert.True(TransientFaults.IsTransient(new IOException("response ended prematurely")));
        Assert.True(TransientFaults.IsTransient(new TaskCanceledException("http timeout", new TimeoutException())));
        Assert.True(TransientFaults.IsTransient(new System.ClientModel.ClientResultException("network timeout", null, new TimeoutException())));
        Assert.False(TransientFaults.IsTransient(new OperationCanceledException()));
        Assert.False(TransientFaults.IsTransient(new BrokenCircuitException()));
        Assert.False(TransientFaults.IsTransient(new InvalidOperationException("a bug")));
        Assert.False(TransientFaults.IsTransient(new ForeignBudgetException()));
        Assert.False(TransientFaults.IsTransient(new MaxTurnsExceededException("too many turns")));
    }

    [Fact]
    public async Task IsEndpointFailure_RateLimit_DoesNotCountAgainstTheCircuit()
    {
        Assert.False(TransientFaults.IsEndpointFailure(await CaptureAsync("429")));
        Assert.True(TransientFaults.IsEndpointFailure(await CaptureAsync("503")));
        Assert.False(TransientFaults.IsEndpointFailure(await CaptureAsync("401")));
    }

    [Fact]
    public async Task IsTransient_RefusedConnection_IsRetried()
    {
        var client = TestChatClients.OpenAI(new Uri("http://127.0.0.1:1/v1"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi"));

        Assert.True(TransientFaults.IsTransient(error));
        Assert.True(TransientFaults.IsEndpointFailure(error));
    }

    [Fact]
    public async Task RetryAfter_MillisecondsHeader_WinsOverSeconds()
    {
        var error = await CaptureAsync(MockChatReply.RateLimited(TimeSpan.FromMilliseconds(1500)));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), TransientFaults.RetryAfter(error, TimeProvider.System));
    }

    [Fact]
    public async Task RetryAfter_SecondsHeader_IsUsed()
    {
        var error = await CaptureAsync(MockChatReply.Error(503) with { Headers = new Dictionary<string, string> { ["Retry-After"] = "7" } });

        Assert.Equal(TimeSpan.FromSeconds(7), TransientFaults.RetryAfter(error, TimeProvider.System));
    }

    [Fact]
    public async Task RetryAfter_HttpDate_IsRelativeToTheClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var error = await CaptureAsync(MockChatReply.Error(429) with { Headers = new Dictionary<string, string> { ["Retry-After"] = "Thu, 01 Jan 2026 12:00:30 GMT" } });

        Assert.Equal(TimeSpan.FromSeconds(30), TransientFaults.RetryAfter(error, time));
    }

    [Fact]
    public async Task RetryAfter_HugeOrMissing_IsCappedOrNull()
    {
        var huge = await CaptureAsync(MockChatReply.Error(429) with { Headers = new Dictionary<string, string> { ["retry-after-ms"] = "86400000" } });
        var none = await CaptureAsync(MockChatReply.Error(429));

        Assert.Equal(TimeSpan.FromSeconds(60), TransientFaults.RetryAfter(huge, TimeProvider.System));
        Assert.Null(TransientFaults.RetryAfter(none, TimeProvider.System));
        Assert.Null(TransientFaults.RetryAfter(new HttpRequestException(), TimeProvider.System));
    }

    private Task<Exception> CaptureAsync(string reply) => CaptureAsync(reply switch
    {
        "429" => MockChatReply.RateLimited(),
        "429-retry-after" => MockChatReply.RateLimited(TimeSpan.FromSeconds(2)),
        "400-content-filter" => MockChatReply.Error(400, "The response was filtered due to the prompt triggering content management policy."),
        "malformed-json" => MockChatReply.Raw("""{"id":"x","choices":[{"index":0,"""),
        "empty-reply" => MockChatReply.Faulted(MockFault.EmptyResponse),
        "broken-chunk" => MockChatReply.Faulted(MockFault.MalformedResponseChunk),
        "no-choices" => MockChatReply.Raw("""{"id":"x","object":"chat.completion","created":1,"model":"m"}"""),
        _ => MockChatReply.Error(int.Parse(reply, System.Globalization.CultureInfo.InvariantCulture)),
    });

    /// <summary>The exception a model call fails with inside a batch: what the retry policy sees.</summary>
    private async Task<Exception> CaptureAsync(MockChatReply reply)
    {
        _server.Responder = _ => reply;
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["q"], q => q, r => r.Text, new BatchOptions { MaxAttempts = 1 });
        return result.Items[0].Error ?? throw new InvalidOperationException("The call did not fail.");
    }

    private sealed class ForeignBudgetException : Exception;
}
