namespace AgentBatch;

/// <summary>Where a provider batch is in its lifecycle, in terms both OpenAI's and Anthropic's batch APIs map to.</summary>
public enum ProviderBatchState
{
    /// <summary>The provider is checking the input (OpenAI's <c>validating</c>).</summary>
    Validating,

    /// <summary>The provider is running the requests.</summary>
    InProgress,

    /// <summary>Every request has run and the results are being written (OpenAI's <c>finalizing</c>).</summary>
    Finalizing,

    /// <summary>Cancellation was asked for; requests already running may still finish.</summary>
    Cancelling,

    /// <summary>The batch ended with every request run (each succeeded or errored on its own).</summary>
    Completed,

    /// <summary>The batch ended before every request ran: its completion window passed. What finished keeps its result.</summary>
    Expired,

    /// <summary>The batch ended cancelled. What finished keeps its result.</summary>
    Cancelled,

    /// <summary>The batch failed as a whole (its input did not validate, or the provider could not run it): no request has a result.</summary>
    Failed,
}
