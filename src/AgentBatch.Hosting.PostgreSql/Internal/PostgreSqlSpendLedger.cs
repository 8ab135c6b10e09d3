namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>
/// A <see cref="SpendLedger"/> whose account is a row of the shared store: every worker's calls reserve against the same
/// figures, atomically, so the workers together never spend more than the caps.
/// </summary>
/// <remarks>
/// <para>
/// A reservation is one call of <c>spend_reserve</c>: it charges the reservations of workers whose heartbeat stopped as
/// spent (they may have been billed), then reserves the call's estimate if it fits. A call that does not fit waits while
/// reservations are outstanding anywhere, looking again every poll interval; when none is, its output limit is lowered to
/// what the caps leave, or it is refused. Settling is queued (<see cref="BackgroundWrites"/>): a settlement that is lost
/// leaves its reservation charged whole, never less.
/// </para>
/// <para>Input order is kept among nothing: calls of several workers cannot wait in one queue. <see cref="SpentTokens"/> is the figure the last reservation saw.</para>
/// </remarks>
internal sealed class PostgreSqlSpendLedger : SpendLedger
{
    private readonly PostgreSqlCheckpointStore _store;
    private readonly string _account;
    private long _spentTokens;
    private decimal _spentCost;

    public PostgreSqlSpendLedger(PostgreSqlCheckpointStore store, string account, long? maxTotalTokens, decimal? maxCost)
        : base(maxTotalTokens, maxCost)
    {
        _store = store;
        _account = account;
    }

    public override long SpentTokens => Volatile.Read(ref _spentTokens);

    public override decimal SpentCost
    {
        get
        {
            lock (this)
            {
                return _spentCost;
            }
        }
    }

    public override async ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, bool mayWait, CancellationToken cancellationToken)
    {
        if (RefuseIfLargerThanCap(estimate) is { } never)
        {
            throw never;
        }

        while (true)
        {
            var (id, figures) = await _store.TryReserveSpendAsync(_account, estimate, MaxTotalTokens, MaxCost, cancellationToken).ConfigureAwait(false);
            Observe(figures);
            if (id is { } granted)
            {
                return new BudgetReservation(estimate.Tokens, estimate.Cost, null) { IsHeld = true, Id = granted };
            }

            var tokensLeft = MaxTotalTokens is { } maxTokens ? maxTokens - figures.SpentTokens - figures.ReservedTokens : (long?)null;
            var costLeft = MaxCost is { } maxCost ? maxCost - figures.SpentCost - figures.ReservedCost : (decimal?)null;
            var exceedsCap = (MaxTotalTokens is { } t && estimate.Tokens > t) || (MaxCost is { } c && estimate.Cost > c);
            // A call that may not wait is admitted now or not at all, as when nothing is in flight.
            var canWait = mayWait && figures.Outstanding > 0;
            if ((!canWait || exceedsCap) && LowerOutputToFit(estimate, tokensLeft, costLeft) is { } lowered)
            {
                var smaller = estimate.WithOutput(lowered);
                var (lowId, lowFigures) = await _store.TryReserveSpendAsync(_account, smaller, MaxTotalTokens, MaxCost, cancellationToken).ConfigureAwait(false);
                Observe(lowFigures);
                if (lowId is { } grantedLow)
                {
                    return new BudgetReservation(smaller.Tokens, smaller.Cost, (int)lowered) { IsHeld = true, Id = grantedLow };
                }

                continue;
            }

            if (!canWait)
            {
                // Nothing in flight anywhere can free room (or the call may not wait for it): the cap is spent for this call.
                throw Refusal(Smallest(estimate), tokensLeft, costLeft);
            }

            await _store.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Settle(BudgetReservation reservation, long tokens, decimal cost)
    {
        if (reservation.IsHeld)
        {
            _store.QueueSettle(_account, reservation, Math.Max(0, tokens), Math.Max(0m, cost));
        }
    }

    public override void Charge(long tokens, decimal cost) => _store.QueueCharge(_account, Math.Max(0, tokens), Math.Max(0m, cost));

    private void Observe(SpendFigures figures)
    {
        Volatile.Write(ref _spentTokens, figures.SpentTokens);
        lock (this)
        {
            _spentCost = figures.SpentCost;
        }
    }
}
