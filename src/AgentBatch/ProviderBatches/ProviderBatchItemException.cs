namespace AgentBatch;

/// <summary>A batch item's call that a provider batch did not answer: the request expired, was cancelled, or its whole batch failed.</summary>
/// <remarks>
/// A request the provider answered with an error fails with that error itself, as a live call would. This exception is
/// for what only a batch can do to a request. Expired and cancelled requests were not billed.
/// </remarks>
public sealed class ProviderBatchItemException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ProviderBatchItemException"/> class.</summary>
    public ProviderBatchItemException()
        : this("A provider batch did not answer the request.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderBatchItemException"/> class.</summary>
    /// <param name="message">The message.</param>
    public ProviderBatchItemException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderBatchItemException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ProviderBatchItemException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProviderBatchItemException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="batchId">The provider's batch id.</param>
    /// <param name="outcome">What happened to the request: <see cref="ProviderBatchOutcome.Expired"/>, <see cref="ProviderBatchOutcome.Canceled"/>, or <see cref="ProviderBatchOutcome.Errored"/> when the batch failed as a whole.</param>
    /// <param name="batchState">The batch's state when the request ended.</param>
    public ProviderBatchItemException(string message, string? batchId, ProviderBatchOutcome outcome, ProviderBatchState batchState)
        : base(message)
    {
        BatchId = batchId;
        Outcome = outcome;
        BatchState = batchState;
    }

    /// <summary>Gets the provider's batch id.</summary>
    public string? BatchId { get; }

    /// <summary>Gets what happened to the request.</summary>
    public ProviderBatchOutcome Outcome { get; } = ProviderBatchOutcome.Errored;

    /// <summary>Gets the batch's state when the request ended.</summary>
    public ProviderBatchState BatchState { get; } = ProviderBatchState.Failed;
}
