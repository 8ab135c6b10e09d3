namespace AgentBatch;

/// <summary>The kind of cap a <see cref="BudgetExceededException"/> refers to.</summary>
public enum BudgetLimit
{
    /// <summary>The batch's <c>MaxTotalTokens</c>.</summary>
    Tokens,

    /// <summary>The batch's <c>MaxCost</c>.</summary>
    Cost,
}
