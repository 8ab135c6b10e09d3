using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>The per-attempt timeout: one request that takes longer than <see cref="BatchOptions.AttemptTimeout"/> is cancelled and fails with <see cref="TimeoutRejectedException"/>.</summary>
/// <remarks>
/// <para>
/// It wraps the request alone, inside the attempt, so that waiting for room under a pacing limit never counts
/// against it. It behaves like Polly's timeout strategy (the same exception, raised only when the timeout and not the
/// caller cancelled), without a second pipeline run per attempt: that cost an attempt three more asynchronous layers.
/// </para>
/// <para>
/// With the system clock the cancellation sources are reused from attempt to attempt, as Polly does; with any other
/// <see cref="TimeProvider"/> each attempt gets a new one on that clock. All members are thread-safe.
/// </para>
/// </remarks>
internal sealed class AttemptTimeout
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly System.Collections.Concurrent.ConcurrentQueue<CancellationTokenSource>? _pool;

    private AttemptTimeout(TimeSpan timeout, TimeProvider timeProvider)
    {
        _timeout = timeout;
        _timeProvider = timeProvider;
        _pool = timeProvider == TimeProvider.System ? new() : null;
    }

    /// <summary>The batch's attempt timeout, or <see langword="null"/> when it is off or a caller's resilience pipeline replaces the default one.</summary>
    public static AttemptTimeout? Create(BatchOptions options, TimeProvider timeProvider) =>
        options.AttemptTimeout is { } timeout && options.ResiliencePipeline is null ? new AttemptTimeout(timeout, timeProvider) : null;

    /// <summary>Starts timing one request; the scope's token is cancelled by the timeout or by <paramref name="cancellationToken"/>.</summary>
    public Scope Start(CancellationToken cancellationToken)
    {
        CancellationTokenSource source;
        if (_pool is null)
        {
            source = new CancellationTokenSource(_timeout, _timeProvider);
        }
        else
        {
            if (!_pool.TryDequeue(out source!))
            {
                source = new CancellationTokenSource();
            }

            source.CancelAfter(_timeout);
        }

        var registration = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source);
        return new Scope(this, source, registration, cancellationToken);
    }

    private void Return(CancellationTokenSource source)
    {
        if (_pool is not null && source.TryReset())
        {
            _pool.Enqueue(source);
        }
        else
        {
            source.Dispose();
        }
    }

    /// <summary>One timed request. Dispose it when the request ends.</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly AttemptTimeout _owner;
        private readonly CancellationTokenSource _source;
        private readonly CancellationTokenRegistration _registration;
        private readonly CancellationToken _outer;

        public Scope(AttemptTimeout owner, CancellationTokenSource source, CancellationTokenRegistration registration, CancellationToken outer)
        {
            _owner = owner;
            _source = source;
            _registration = registration;
            _outer = outer;
        }

        /// <summary>Gets the token to send the request with.</summary>
        public CancellationToken Token => _source.Token;

        /// <summary>
        /// Returns the error the request ends with: a <see cref="TimeoutRejectedException"/> in place of the cancellation the
        /// timeout caused, otherwise <paramref name="error"/> itself.
        /// </summary>
        public Exception Translate(Exception error) =>
            error is OperationCanceledException && _source.IsCancellationRequested && !_outer.IsCancellationRequested
                ? new TimeoutRejectedException($"The model call did not complete within the attempt timeout of {_owner._timeout}.", _owner._timeout, error)
                : error;

        public void Dispose()
        {
            // Unregistered first, so the caller's cancellation can no longer reach a source that goes back to the pool.
            _registration.Dispose();
            _owner.Return(_source);
        }
    }
}
