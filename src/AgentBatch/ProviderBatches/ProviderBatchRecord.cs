namespace AgentBatch;

/// <summary>What a run keeps of one provider batch it submitted: enough to re-attach to it after a restart.</summary>
/// <remarks>
/// Saved before the batch is created (without <see cref="BatchId"/>) and updated with the id as soon as the provider
/// returns it; see <see cref="IProviderBatchStore"/>. It holds no prompt, reply or secret: custom ids and hashes.
/// </remarks>
public sealed class ProviderBatchRecord
{
    /// <summary>Initializes a new instance of the <see cref="ProviderBatchRecord"/> class.</summary>
    /// <param name="key">The submission's key.</param>
    /// <param name="provider">The provider's name (<see cref="ProviderBatchClient.ProviderName"/>).</param>
    /// <param name="submittedAt">When the submission started.</param>
    /// <param name="requests">The requests.</param>
    /// <param name="batchId">The provider's batch id, or <see langword="null"/> while the batch is being created.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/>, <paramref name="provider"/> or <paramref name="requests"/> is <see langword="null"/>.</exception>
    public ProviderBatchRecord(string key, string provider, DateTimeOffset submittedAt, IReadOnlyList<ProviderBatchRecordedRequest> requests, string? batchId = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(requests);
        Key = key;
        Provider = provider;
        SubmittedAt = submittedAt;
        Requests = requests;
        BatchId = batchId;
    }

    /// <summary>Gets the submission's key.</summary>
    public string Key { get; }

    /// <summary>Gets the provider's name.</summary>
    public string Provider { get; }

    /// <summary>Gets when the submission started.</summary>
    public DateTimeOffset SubmittedAt { get; }

    /// <summary>Gets the requests.</summary>
    public IReadOnlyList<ProviderBatchRecordedRequest> Requests { get; }

    /// <summary>Gets the provider's batch id, or <see langword="null"/> when the run stopped between saving the record and learning the id.</summary>
    public string? BatchId { get; }

    /// <summary>Returns this record with the provider's batch id.</summary>
    /// <param name="batchId">The batch id.</param>
    /// <returns>The record.</returns>
    public ProviderBatchRecord WithBatchId(string batchId) => new(Key, Provider, SubmittedAt, Requests, batchId);
}
