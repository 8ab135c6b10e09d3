using AgentBatch.Hosting.PostgreSql.Internal;

namespace AgentBatch.Hosting;

/// <summary>The shared ledgers: spend accounts that several workers reserve against, and the rate window of a budget name.</summary>
public sealed partial class PostgreSqlCheckpointStore
{
    /// <summary>
    /// Creates a spend ledger on the shared account <paramref name="name"/>: every batch, in any process, whose
    /// <see cref="BatchOptions.SpendLedger"/> is a ledger of that name spends against the same figures.
    /// </summary>
    /// <param name="name">The account's name, for example a team or a provider key; <c>set:</c> names are the worker's own.</param>
    /// <param name="maxTotalTokens">The token cap; <see langword="null"/> for none.</param>
    /// <param name="maxCost">The cost cap; <see langword="null"/> for none.</param>
    /// <returns>The ledger; it uses this store's connection and heartbeat, so it lives no longer than the store.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or both caps are <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A cap is out of range.</exception>
    /// <remarks>
    /// What the account's calls spent stays in it: a ledger made again with the same name continues from there. The
    /// reservations of a worker that stopped renewing its heartbeat count as spent.
    /// </remarks>
    public SpendLedger CreateSpendLedger(string name, long? maxTotalTokens, decimal? maxCost)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new PostgreSqlSpendLedger(this, name, maxTotalTokens, maxCost);
    }

    /// <summary>
    /// Creates a rate ledger on the shared window <paramref name="name"/>: every batch, in any process, that paces with a
    /// ledger of that name stays under the limits together.
    /// </summary>
    /// <param name="name">The window's name: one per provider key.</param>
    /// <param name="tokensPerMinute">The tokens allowed in any window of <see cref="AgentBatchPostgreSqlOptions.RateWindow"/>; <see langword="null"/> for none.</param>
    /// <param name="requestsPerMinute">The requests allowed in any window; <see langword="null"/> for none.</param>
    /// <returns>The ledger; it lives no longer than the store.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or both limits are <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is less than 1.</exception>
    public RateLedger CreateRateLedger(string name, int? tokensPerMinute, int? requestsPerMinute)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new PostgreSqlRateLedger(this, name, tokensPerMinute, requestsPerMinute);
    }

    /// <inheritdoc />
    /// <remarks>The run's account (<c>set:ID</c>) is shared by every worker on the run and outlives them: what any of them spent or had in flight when it died counts.</remarks>
    public ValueTask<SpendLedger> OpenSpendLedgerAsync(DocumentSetCheckpoint run, long? maxTotalTokens, decimal? maxCost, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new ValueTask<SpendLedger>(CreateSpendLedger("set:" + run.SetId, maxTotalTokens, maxCost));
    }

    /// <inheritdoc />
    /// <remarks>Every worker on this store with the same <see cref="AgentBatchPostgreSqlOptions.BudgetName"/> paces against one window.</remarks>
    public RateLedger CreateRateLedger(int? tokensPerMinute, int? requestsPerMinute, TimeProvider timeProvider) =>
        CreateRateLedger(_options.BudgetName, tokensPerMinute, requestsPerMinute);

    internal async Task<(long? Id, SpendFigures Figures)> TryReserveSpendAsync(string account, CallEstimate estimate, long? maxTokens, decimal? maxCost, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        return await ReadRowAsync(
            $"SELECT * FROM {_s}.spend_reserve(@account, @lease, @me, @tokens, @cost, @maxTokens, @maxCost)",
            static reader => (reader.IsDBNull(0) ? (long?)null : reader.GetInt64(0), new SpendFigures(reader.GetInt64(1), reader.GetDecimal(2), reader.GetInt64(3), reader.GetDecimal(4), reader.GetInt64(5))),
            cancellationToken,
            ("account", account),
            ("lease", _options.LeaseDuration),
            ("me", WorkerId),
            ("tokens", estimate.Tokens),
            ("cost", estimate.Cost),
            ("maxTokens", (object?)maxTokens ?? DBNull.Value),
            ("maxCost", (object?)maxCost ?? DBNull.Value)).ConfigureAwait(false);
    }

    internal void QueueSettle(string account, BudgetReservation reservation, long tokens, decimal cost) =>
        _writes.Enqueue(
            $"""
            WITH gone AS (DELETE FROM {_s}.spend_reservations WHERE id = @id RETURNING 1)
            UPDATE {_s}.spend_accounts SET
                tokens = tokens + CASE WHEN EXISTS (SELECT 1 FROM gone) THEN @tokens ELSE greatest(0, @tokens - @reservedTokens) END,
                cost = cost + CASE WHEN EXISTS (SELECT 1 FROM gone) THEN @cost ELSE greatest(0, @cost - @reservedCost) END
            WHERE name = @account
            """,
            ("id", reservation.Id),
            ("tokens", tokens),
            ("cost", cost),
            ("reservedTokens", reservation.Tokens),
            ("reservedCost", reservation.Cost),
            ("account", account));

    internal void QueueCharge(string account, long tokens, decimal cost) =>
        _writes.Enqueue(
            $"INSERT INTO {_s}.spend_accounts (name, tokens, cost) VALUES (@account, @tokens, @cost) ON CONFLICT (name) DO UPDATE SET tokens = {_s}.spend_accounts.tokens + excluded.tokens, cost = {_s}.spend_accounts.cost + excluded.cost",
            ("account", account),
            ("tokens", tokens),
            ("cost", cost));

    internal async Task<(long? Id, TimeSpan Wait)> TryAcquireRateAsync(string ledger, long tokens, int? tokensPerMinute, int? requestsPerMinute, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        return await ReadRowAsync(
            $"SELECT * FROM {_s}.rate_acquire(@ledger, @tokens, @tpm, @rpm, @window)",
            static reader => reader.IsDBNull(0) ? ((long?)null, TimeSpan.FromMilliseconds(reader.GetDouble(1))) : (reader.GetInt64(0), TimeSpan.Zero),
            cancellationToken,
            ("ledger", ledger),
            ("tokens", tokens),
            ("tpm", (object?)(long?)tokensPerMinute ?? DBNull.Value),
            ("rpm", (object?)(long?)requestsPerMinute ?? DBNull.Value),
            ("window", _options.RateWindow)).ConfigureAwait(false);
    }

    internal void QueueReconcile(long id, long tokens, TimeSpan took) =>
        _writes.Enqueue($"UPDATE {_s}.rate_window SET tokens = @tokens, at = at + @took WHERE id = @id", ("tokens", tokens), ("took", took), ("id", id));

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Waits a poll interval before a shared ledger looks again.</summary>
    internal Task WaitForRoomAsync(CancellationToken cancellationToken) => WaitForRoomAsync(_options.PollInterval, cancellationToken);

    /// <summary>Waits before a shared ledger looks again: <paramref name="hint"/> when it is sooner than a poll interval.</summary>
    internal Task WaitForRoomAsync(TimeSpan hint, CancellationToken cancellationToken) =>
        Task.Delay(hint < _options.PollInterval ? hint : _options.PollInterval, _timeProvider, cancellationToken);
}
