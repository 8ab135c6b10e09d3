namespace AgentBatch;

/// <summary>Requests to submit as one provider batch, with the key that lets a restarted run find the batch again.</summary>
public sealed class ProviderBatchSubmission
{
    /// <summary>Initializes a new instance of the <see cref="ProviderBatchSubmission"/> class.</summary>
    /// <param name="key">The submission's key: unique per submission, made of letters, digits, <c>_</c> and <c>-</c>, at most 64 characters.</param>
    /// <param name="runId">The run the submission belongs to (<see cref="ProviderBatchOptions.RunId"/>), or <see langword="null"/>.</param>
    /// <param name="requests">The requests, all of one model; at least one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="requests"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="requests"/> is empty.</exception>
    public ProviderBatchSubmission(string key, string? runId, IReadOnlyList<ProviderBatchRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            throw new ArgumentException("A submission holds at least one request.", nameof(requests));
        }

        Key = key;
        RunId = runId;
        Requests = requests;
    }

    /// <summary>Gets the submission's key. A provider that keeps metadata on a batch (OpenAI) tags the batch with it, so that <see cref="ProviderBatchClient.FindSubmittedAsync"/> can find it.</summary>
    public string Key { get; }

    /// <summary>Gets the run the submission belongs to, or <see langword="null"/>.</summary>
    public string? RunId { get; }

    /// <summary>Gets the requests.</summary>
    public IReadOnlyList<ProviderBatchRequest> Requests { get; }

    /// <summary>Gets the model of the requests.</summary>
    public string ModelId => Requests[0].ModelId;
}
