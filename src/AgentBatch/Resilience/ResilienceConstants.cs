namespace AgentBatch.Internal;

/// <summary>The defaults of the per-call resilience pipeline, in one place so docs and code agree.</summary>
internal static class ResilienceConstants
{
    /// <summary>One request plus three retries: Polly's default, enough to ride out a short outage or a rate-limit burst.</summary>
    public const int DefaultMaxAttempts = 4;

    /// <summary>Matches the OpenAI .NET client's own network timeout, so neither cuts the other short by default.</summary>
    public static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The first retry waits about this long; later ones grow exponentially, with jitter.</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromSeconds(1);

    /// <summary>No single wait between attempts, computed or asked for by the server's <c>Retry-After</c>, exceeds this.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The breaker opens only when every call in the window failed: a mix of good and bad replies is a flaky endpoint,
    /// which retries handle; nothing but failures is a dead one.
    /// </summary>
    public const double CircuitFailureRatio = 1.0;

    /// <summary>The fewest calls in the sampling window before the breaker may judge the endpoint.</summary>
    public const int CircuitMinimumThroughput = 20;

    /// <summary>The window over which the breaker counts failures.</summary>
    public static readonly TimeSpan CircuitSamplingDuration = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker rejects calls before letting one probe through.</summary>
    public static readonly TimeSpan CircuitBreakDuration = TimeSpan.FromSeconds(30);
}
