namespace AgentBatch.Internal;

/// <summary>A provider batch the run waits for: submitted by it, or recorded by an earlier run and re-attached to.</summary>
/// <remarks>Every member is read and written under the coordinator's lock, except the immutable ones.</remarks>
internal sealed class OpenBatch
{
    public OpenBatch(ProviderBatchClient client, string key, long submittedAt, int requestCount)
    {
        Client = client;
        Key = key;
        SubmittedAt = submittedAt;
        RequestCount = requestCount;
    }

    public ProviderBatchClient Client { get; }

    /// <summary>Gets the submission's key.</summary>
    public string Key { get; }

    /// <summary>Gets when the batch was submitted (a timestamp of the runner's clock), or re-attached to.</summary>
    public long SubmittedAt { get; }

    /// <summary>Gets the number of requests in the batch.</summary>
    public int RequestCount { get; }

    /// <summary>Gets or sets the provider's id, once known.</summary>
    public string? Id { get; set; }

    /// <summary>Gets the task that completes when the batch has been created (<see langword="true"/>) or could not be (<see langword="false"/>).</summary>
    public TaskCompletionSource<bool> Created { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the calls waiting for their results, by custom id.</summary>
    public Dictionary<string, PendingCall> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets, for a re-attached batch, the recorded custom ids no call of this run has claimed yet.</summary>
    public HashSet<string>? Unclaimed { get; set; }

    /// <summary>Gets or sets, for a re-attached batch that has ended, the results of requests no call had claimed when they came.</summary>
    public Dictionary<string, ProviderBatchResult>? Kept { get; set; }

    /// <summary>Gets or sets the last status read.</summary>
    public ProviderBatchStatus? Status { get; set; }

    /// <summary>Gets or sets a value indicating whether the batch's results have been read.</summary>
    public bool Ended { get; set; }

    /// <summary>Gets or sets the error the batch's calls failed with when it could not be submitted or polled.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Gets or sets a value indicating whether a call stopped waiting for its result (its item was cancelled).</summary>
    public bool Abandoned { get; set; }
}
