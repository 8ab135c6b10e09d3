namespace AgentBatch;

/// <summary>What one model call holds of a <see cref="SpendLedger"/>'s caps until it is settled.</summary>
/// <param name="Tokens">The tokens reserved.</param>
/// <param name="Cost">The cost reserved.</param>
/// <param name="OutputLimit">The output limit the call must be sent with when the ledger lowered it to fit; otherwise <see langword="null"/>.</param>
public readonly record struct BudgetReservation(long Tokens, decimal Cost, int? OutputLimit)
{
    /// <summary>Gets a value indicating whether anything is held; a default reservation holds nothing, and settling it does nothing.</summary>
    public bool IsHeld { get; init; }

    /// <summary>Gets the ledger's own identifier of the reservation (a row in a shared store), or 0 when it keeps none.</summary>
    public long Id { get; init; }
}
