namespace AgentBatch.Internal;

/// <summary>A call's estimate held against the batch's caps until the call settles.</summary>
internal readonly record struct BudgetReservation(long Tokens, decimal Cost);
