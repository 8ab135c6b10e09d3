namespace AgentBatch;

/// <summary>How a batch's model calls reach the model: one request at a time, or through the provider's own batch API.</summary>
public enum BatchExecution
{
    /// <summary>Each model call is sent as it is made and answered at once (the default).</summary>
    Live,

    /// <summary>
    /// Each model call is captured as the request a live call would send, submitted with the others in a provider batch
    /// (OpenAI's Batch API, Anthropic's Message Batches) at the provider's batch price, and answered when that batch ends.
    /// See <see cref="BatchOptions.ProviderBatch"/>.
    /// </summary>
    ProviderBatch,
}
