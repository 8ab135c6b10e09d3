namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>
/// A <see cref="RateLedger"/> whose sliding window is a table of the shared store, on the database's clock: every worker
/// that paces under the same budget name is admitted against the same window.
/// </summary>
/// <remarks>
/// A call is one <c>rate_acquire</c>: admitted when its estimate and one more request fit the limits over the window,
/// or told how long until the oldest charge leaves it, which is waited (at most one poll interval, since calls settling
/// below their estimate free room sooner). Reconciling is queued: it charges the reported tokens from the moment the
/// reply arrived, as the in-process ledger does, by moving the charge on by the time the call took (measured here, so
/// the queue's own delay does not count); one that is lost leaves the estimate charged.
/// </remarks>
internal sealed class PostgreSqlRateLedger : RateLedger
{
    private readonly PostgreSqlCheckpointStore _store;
    private readonly string _name;

    public PostgreSqlRateLedger(PostgreSqlCheckpointStore store, string name, int? tokensPerMinute, int? requestsPerMinute)
        : base(tokensPerMinute, requestsPerMinute)
    {
        _store = store;
        _name = name;
    }

    public override async ValueTask<RateLease> AcquireAsync(long tokens, CancellationToken cancellationToken)
    {
        if (TokensPerMinute is { } limit && tokens > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"A single call needs {tokens} tokens but the per-window limit is {limit}: it could never be made.");
        }

        while (true)
        {
            // Taken before the database stamps the charge: the time counted from here is never shorter than the call took.
            var asked = _store.TimeProvider.GetTimestamp();
            var (id, wait) = await _store.TryAcquireRateAsync(_name, tokens, TokensPerMinute, RequestsPerMinute, cancellationToken).ConfigureAwait(false);
            if (id is { } granted)
            {
                return new Lease(_store, granted, asked);
            }

            await _store.WaitForRoomAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Lease(PostgreSqlCheckpointStore store, long id, long acquiredAt) : RateLease
    {
        public override void Reconcile(long tokens) => store.QueueReconcile(id, Math.Max(0, tokens), store.TimeProvider.GetElapsedTime(acquiredAt));
    }
}
