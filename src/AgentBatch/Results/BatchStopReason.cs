namespace AgentBatch;

/// <summary>Why a batch stopped.</summary>
public enum BatchStopReason
{
    /// <summary>Every item ran.</summary>
    Completed,

    /// <summary>The batch's token cap left no room for further calls.</summary>
    TokenLimitReached,

    /// <summary>The batch's cost cap left no room for further calls.</summary>
    CostLimitReached,

    /// <summary>The caller cancelled the batch.</summary>
    Canceled,

    /// <summary>The batch could not go on: the item source or a callback failed; see <see cref="BatchResult{TOutput}.Error"/>.</summary>
    Faulted,

    /// <summary>A completed item satisfied the batch's stop condition.</summary>
    StopConditionMet,
}
