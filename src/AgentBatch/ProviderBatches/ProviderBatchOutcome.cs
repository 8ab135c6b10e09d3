namespace AgentBatch;

/// <summary>How one request of a provider batch ended.</summary>
public enum ProviderBatchOutcome
{
    /// <summary>The provider answered it: <see cref="ProviderBatchResult.Response"/> holds the reply.</summary>
    Succeeded,

    /// <summary>The provider answered it with an error: <see cref="ProviderBatchResult.Error"/> holds it, as a live call would have thrown it.</summary>
    Errored,

    /// <summary>The batch's completion window passed before the request ran; it was not billed.</summary>
    Expired,

    /// <summary>The batch was cancelled before the request ran; it was not billed.</summary>
    Canceled,
}
