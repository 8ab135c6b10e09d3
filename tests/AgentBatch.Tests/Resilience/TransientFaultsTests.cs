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

        Assert.Equal(transient, IsTransient(error));
    }

    [Fact]
    public void IsTransient_ExceptionsOutsideTheWire_AreClassified()
    {
        Assert.True(IsTransient(new TimeoutRejectedException()));
        Assert.True(IsTransient(new HttpRequestException("connection reset")));
        Assert.True(IsTransient(new IOException("response ended prematurely")));
        Assert.True(IsTransient(new TaskCanceledException("http timeout", new TimeoutException())));
        Assert.True(IsTransient(new System.ClientModel.ClientResultException("network timeout", null, new TimeoutException())));
        Assert.False(IsTransient(new OperationCanceledException()));
        Assert.False(IsTransient(new BrokenCircuitException()));
        Assert.False(IsTransient(new InvalidOperationException("a bug")));
        Assert.False(IsTransient(new ForeignBudgetException()));
        Assert.False(IsTransient(new MaxTurnsExceededException("too many turns")));
    }

    [Fact]
    public async Task IsEndpointFailure_RateLimit_DoesNotCountAgainstTheCircuit()
    {
        Assert.False(IsEndpointFailure(await CaptureAsync("429")));
        Assert.True(IsEndpointFailure(await CaptureAsync("503")));
        Assert.False(IsEndpointFailure(await CaptureAsync("401")));
    }

    [Fact]
    public async Task IsTransient_RefusedConnection_IsRetried()
    {
        var client = TestChatClients.OpenAI(new Uri("http://127.0.0.1:1/v1"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetResponseAsync("hi"));

        Assert.True(IsTransient(error));
        Assert.True(IsEndpointFailure(error));
    }

    [Fact]
    public async Task RetryAfter_MillisecondsHeader_WinsOverSeconds()
    {
        var error = await CaptureAsync(MockChatReply.RateLimited(TimeSpan.FromMilliseconds(1500)));

        Assert.Equal(TimeSpan.FromMilliseconds(1500), RetryAfter(error, TimeProvider.System));
    }

    [Fact]
    public async Task RetryAfter_SecondsHeader_IsUsed()
    {
        var error = await CaptureAsync(MockChatReply.Error(503) with { Headers = new Dictionary<string, string> { ["Retry-After"] = "7" } });

        Assert.Equal(TimeSpan.FromSeconds(7), RetryAfter(error, TimeProvider.System));
    }

    [Fact]
    public async Task RetryAfter_HttpDate_IsRelativeToTheClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var error = await CaptureAsync(MockChatReply.Error(429) with { Headers = new Dictionary<string, string> { ["Retry-After"] = "Thu, 01 Jan 2026 12:00:30 GMT" } });

        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfter(error, time));
    }

    [Fact]
    public async Task RetryAfter_HugeOrMissing_IsCappedOrNull()
    {
        var huge = await CaptureAsync(MockChatReply.Error(429) with { Headers = new Dictionary<string, string> { ["retry-after-ms"] = "86400000" } });
        var none = await CaptureAsync(MockChatReply.Error(429));

        Assert.Equal(TimeSpan.FromSeconds(60), RetryAfter(huge, TimeProvider.System));
        Assert.Null(RetryAfter(none, TimeProvider.System));
        Assert.Null(RetryAfter(new HttpRequestException(), TimeProvider.System));
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

    // What the batch does with an error: the OpenAI client's classifier reads it, the provider-neutral rules judge it.
    private static bool IsTransient(Exception error) => TransientFaults.IsTransient(error, TransientFaults.Read(error, OpenAIFaultClassifier.Default, out _));

    private static bool IsEndpointFailure(Exception error) => TransientFaults.IsEndpointFailure(error, TransientFaults.Read(error, OpenAIFaultClassifier.Default, out _));

    private static TimeSpan? RetryAfter(Exception error, TimeProvider timeProvider) =>
        TransientFaults.RetryAfter(TransientFaults.Read(error, new OpenAIFaultClassifier(timeProvider), out _));

    private sealed class ForeignBudgetException : Exception;
}
