namespace AgentBatch;

/// <summary>How a batch item ended.</summary>
public enum BatchItemStatus
{
    /// <summary>The agent answered and the output map produced the item's output.</summary>
    Succeeded,

    /// <summary>The item ran and failed; <see cref="BatchItemResult{TOutput}.Error"/> holds why.</summary>
    Failed,

    /// <summary>The item never started, because the batch stopped first (stop condition, budget, fault).</summary>
    Skipped,

    /// <summary>The item started and was cancelled because the batch stopped while it was in flight.</summary>
    Canceled,
}
