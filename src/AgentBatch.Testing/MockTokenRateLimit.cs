namespace AgentBatch.Testing;

/// <summary>
/// A provider-style tokens-per-minute limit for a <see cref="MockChatServer"/>: replies that would push the tokens
/// served in the last minute past the limit are answered 429 instead, as a real provider would.
/// </summary>
/// <remarks>
/// Wrap a responder with <see cref="Wrap"/>. Tokens are counted from the reply's <see cref="MockChatReply.PromptTokens"/>
/// and <see cref="MockChatReply.CompletionTokens"/> (set them), when the request is answered (before any reply delay). Thread-safe.
/// </remarks>
public sealed class MockTokenRateLimit
{
    private readonly Lock _gate = new();
    private readonly Queue<(long At, long Tokens)> _served = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _window;
    private long _inWindow;
    private long _totalServed;
    private int _rejected;

    /// <summary>Initializes a new instance of the <see cref="MockTokenRateLimit"/> class.</summary>
    /// <param name="tokensPerMinute">The limit.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    /// <param name="window">The window; <see langword="null"/> for one minute.</param>
    public MockTokenRateLimit(long tokensPerMinute, TimeProvider? timeProvider = null, TimeSpan? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerMinute, 1);
        TokensPerMinute = tokensPerMinute;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _window = window ?? TimeSpan.FromMinutes(1);
    }

    /// <summary>Gets the limit.</summary>
    public long TokensPerMinute { get; }

    /// <summary>Gets the number of requests answered 429.</summary>
    public int RejectedCount => Volatile.Read(ref _rejected);

    /// <summary>Gets the tokens served since the limit was created.</summary>
    public long TotalTokensServed
    {
        get
        {
            lock (_gate)
            {
                return _totalServed;
            }
        }
    }

    /// <summary>Returns a responder that applies this limit to <paramref name="inner"/>'s replies.</summary>
    /// <param name="inner">The responder whose replies are limited.</param>
    /// <returns>The limited responder.</returns>
    public Func<MockChatRequest, MockChatReply> Wrap(Func<MockChatRequest, MockChatReply> inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return request =>
        {
            var reply = inner(request);
            if (reply.StatusCode != 200)
            {
                return reply;
            }

            var tokens = (long)(reply.PromptTokens ?? 0) + (reply.CompletionTokens ?? 0);
            lock (_gate)
            {
                var now = _timeProvider.GetTimestamp();
                while (_served.Count > 0 && _timeProvider.GetElapsedTime(_served.Peek().At, now) >= _window)
                {
                    _inWindow -= _served.Dequeue().Tokens;
                }

                if (_inWindow + tokens > TokensPerMinute)
                {
                    Interlocked.Increment(ref _rejected);
                    return MockChatReply.RateLimited(TimeSpan.FromSeconds(1));
                }

                _served.Enqueue((now, tokens));
                _inWindow += tokens;
                _totalServed += tokens;
            }

            return reply;
        };
    }
}
