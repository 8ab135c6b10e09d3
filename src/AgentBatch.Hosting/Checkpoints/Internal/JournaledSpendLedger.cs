namespace AgentBatch.Hosting.Internal;

/// <summary>
/// A run's caps in one process, journaled to the checkpoint store call by call: every reservation is written before its
/// call is sent and replaced by what the call was charged when it settles, so a reservation left by a killed process
/// counts as spent when the run opens again.
/// </summary>
/// <remarks>
/// Admission (input order, waiting, lowering the output limit) is the in-process ledger's; the journal only keeps the
/// figures. A journal write that fails leaves its reservation in the store, which then counts as spent: the journal
/// errs on the side of the cap.
/// </remarks>
internal sealed class JournaledSpendLedger : SpendLedger
{
    private readonly SpendLedger _inner;
    private readonly ISpendJournal _journal;

    public JournaledSpendLedger(ISpendJournal journal, long? maxTotalTokens, decimal? maxCost, long spentTokens, decimal spentCost)
        : base(maxTotalTokens, maxCost)
    {
        _journal = journal;
        _inner = Create(maxTotalTokens, maxCost);
        _inner.Charge(spentTokens, spentCost);
    }

    public override long SpentTokens => _inner.SpentTokens;

    public override decimal SpentCost => _inner.SpentCost;

    public override async ValueTask<BudgetReservation> ReserveAsync(CallEstimate estimate, int order, bool mayWait, CancellationToken cancellationToken)
    {
        var reservation = await _inner.ReserveAsync(estimate, order, mayWait, cancellationToken).ConfigureAwait(false);
        try
        {
            return reservation with { Id = _journal.Reserve(reservation.Tokens, reservation.Cost) };
        }
        catch
        {
            _inner.Release(reservation);
            throw;
        }
    }

    public override void Settle(BudgetReservation reservation, long tokens, decimal cost)
    {
        if (!reservation.IsHeld)
        {
            return;
        }

        TryJournal(() => _journal.Settle(reservation.Id, Math.Max(0, tokens), Math.Max(0m, cost)));
        _inner.Settle(reservation, tokens, cost);
    }

    public override void Charge(long tokens, decimal cost)
    {
        TryJournal(() => _journal.Charge(Math.Max(0, tokens), Math.Max(0m, cost)));
        _inner.Charge(tokens, cost);
    }

    private static void TryJournal(Action write)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Settling never throws; an unjournaled settlement leaves its reservation counted whole.
        }
    }
}
