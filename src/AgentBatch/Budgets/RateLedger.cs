using AgentBatch.Internal;

namespace AgentBatch;

/// <summary>
/// The sliding one-minute account of the tokens and requests sent under a provider's limits: a call starts only when its
/// estimate fits, and is charged what the server reported once the reply arrives.
/// </summary>
/// <remarks>
/// <para>
/// By default each batch paces itself with a ledger of its own, made from <see cref="BatchOptions.TokensPerMinute"/> and
/// <see cref="BatchOptions.RequestsPerMinute"/>. Batches that call the model with the same key share the provider's
/// limit: give them one ledger, made with <see cref="Create(int?, int?, TimeProvider?)"/>, in
/// <see cref="BatchOptions.RateLedger"/>, and together they stay under it. A shared store (the
/// AgentBatch.Hosting.PostgreSql package) does the same for processes on several machines.
/// </para>
/// <para>
/// Implementations are thread-safe. A lease that is never reconciled keeps its estimate charged until it leaves the
/// window: a call that may have been billed is never under-counted.
/// </para>
/// </remarks>
public abstract class RateLedger : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="RateLedger"/> class.</summary>
    /// <param name="tokensPerMinute">The tokens (input plus output) allowed in any sliding minute; <see langword="null"/> for no token limit.</param>
    /// <param name="requestsPerMinute">The requests allowed in any sliding minute; <see langword="null"/> for no request limit.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit is less than 1.</exception>
    /// <exception cref="ArgumentException">Both limits are <see langword="null"/>.</exception>
    protected RateLedger(int? tokensPerMinute, int? requestsPerMinute)
    {
        if (tokensPerMinute is { } tokens)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1, nameof(tokensPerMinute));
        }

        if (requestsPerMinute is { } requests)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1, nameof(requestsPerMinute));
        }

        if (tokensPerMinute is null && requestsPerMinute is null)
        {
            throw new ArgumentException("A rate ledger needs a tokens-per-minute limit, a requests-per-minute limit or both.", nameof(tokensPerMinute));
        }

        TokensPerMinute = tokensPerMinute;
        RequestsPerMinute = requestsPerMinute;
    }

    /// <summary>Gets the tokens allowed in any sliding minute, or <see langword="null"/> when tokens are not paced.</summary>
    public int? TokensPerMinute { get; }

    /// <summary>Gets the requests allowed in any sliding minute, or <see langword="null"/> when requests are not paced.</summary>
    public int? RequestsPerMinute { get; }

    /// <summary>Creates a ledger kept in this process, on <paramref name="timeProvider"/>'s clock; waiters are served first come, first served.</summary>
    /// <param name="tokensPerMinute">The token limit; <see langword="null"/> for none.</param>
    /// <param name="requestsPerMinute">The request limit; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <returns>The ledger, safe to share between batches running at the same time; dispose it when they are done.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A limit is less than 1.</exception>
    /// <exception cref="ArgumentException">Both limits are <see langword="null"/>.</exception>
    public static RateLedger Create(int? tokensPerMinute, int? requestsPerMinute, TimeProvider? timeProvider = null) =>
        new InProcessRateLedger(tokensPerMinute, requestsPerMinute, timeProvider ?? TimeProvider.System);

    /// <summary>Waits until one more request of <paramref name="tokens"/> estimated tokens fits the limits, then charges it.</summary>
    /// <param name="tokens">The request's estimate: its counted input plus its output limit (0 when tokens are not paced).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The lease, to be reconciled with what the request really used.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is larger than <see cref="TokensPerMinute"/>: the request could never be made.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the request waited.</exception>
    public abstract ValueTask<RateLease> AcquireAsync(long tokens, CancellationToken cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the ledger's resources (timers, connections); waiters fail with <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
