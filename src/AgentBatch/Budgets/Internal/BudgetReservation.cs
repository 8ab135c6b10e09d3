namespace AgentBatch.Internal;

/// <summary>What one call holds of the batch's caps until it settles.</summary>
/// <param name="Tokens">The tokens reserved.</param>
/// <param name="Cost">The cost reserved.</param>
/// <param name="OutputLimit">The output limit the call must be sent with when the budget lowered it to fit; otherwise <see langword="null"/>.</param>
internal readonly record struct BudgetReservation(long Tokens, decimal Cost, int? OutputLimit)
{
    /// <summary>Gets a value indicating whether anything is held (a default reservation holds nothing).</summary>
    public bool IsHeld { get; init; }
}
