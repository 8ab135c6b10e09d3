namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>
/// A <see cref="RateLedger"/> whose sliding window is a table of the shared store, on the database's clock: every worker
/// that paces under the same budget name is admitted against the same window.
/// </summary>
/// <remarks>
/// A call is one <c>rate_acquire</c>: admitted when its estimate and one more request fit the limits over the window,
/// or told how long until the oldest charge leaves it, which is waited (at most one poll interval, since calls settling
/// below their estimate free room sooner). Reconciling is queued: it re-stamps the charge with the reported tokens at
/// the moment the reply arrived, as the in-process ledger does; one that is lost leaves the estimate charged.
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
            var (id, wait) = await _store.TryAcquireRateAsync(_name, tokens, TokensPerMinute, RequestsPerMinute, cancellationToken).ConfigureAwait(false);
            if (id is { } granted)
            {
                return new Lease(_store, granted);
            }

            await _store.WaitForRoomAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Lease(PostgreSqlCheckpointStore store, long id) : RateLease
    {
        public override void Reconcile(long tokens) => store.QueueReconcile(id, Math.Max(0, tokens));
    }
}
