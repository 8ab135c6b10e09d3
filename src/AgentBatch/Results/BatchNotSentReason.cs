namespace AgentBatch;

/// <summary>Why no request for an item left for the model (<see cref="BatchItemResult{TOutput}.WasSent"/> is <see langword="false"/>).</summary>
/// <remarks>An item that was not sent was not paid for, and can be run again as it is once the reason is gone.</remarks>
public enum BatchNotSentReason
{
    /// <summary>At least one request was sent.</summary>
    None,

    /// <summary>The batch's token or cost cap was spent before the item's first request.</summary>
    BudgetExhausted,

    /// <summary>The item's request alone is larger than the whole token or cost cap: it could never be made.</summary>
    TooLargeForBudget,

    /// <summary>The endpoint was failing every call (the circuit breaker opened), and the batch stopped.</summary>
    EndpointFailing,

    /// <summary>The endpoint refused the batch (credentials, the model, or a used-up quota), and the batch stopped.</summary>
    EndpointRefused,

    /// <summary>A completed item met the batch's stop condition.</summary>
    StopConditionMet,

    /// <summary>The caller cancelled the batch, the consumer of a stream left, the item's own token was cancelled, or the batch stopped at a failure in Throw mode.</summary>
    Canceled,

    /// <summary>The batch stopped for a fault of its own (the item source or the stop condition threw).</summary>
    BatchFaulted,

    /// <summary>The item's input could not be sent: a null item, an empty input, an input map that threw, an input beyond the context window.</summary>
    InvalidInput,

    /// <summary>The item failed before any request: its agent, the agent factory or a tool threw, or the batch's settings refused the call.</summary>
    FailedBeforeSending,

    /// <summary>The item was answered without a request, by a cache below the AgentBatch layer.</summary>
    AnsweredWithoutRequest,

    /// <summary>An earlier run of the same batch recorded the item's final result (<see cref="BatchCheckpoint{TItem}"/>); it is that result.</summary>
    AlreadyRecorded,
}
