namespace AgentBatch;

/// <summary>Durable memory of the provider batches a run submitted, so that a restarted run re-attaches to them instead of submitting again.</summary>
/// <remarks>
/// <para>
/// Give one to <see cref="ProviderBatchOptions.Store"/> with a <see cref="ProviderBatchOptions.RunId"/>; the run saves a
/// record before each batch is created and its id as soon as the provider returns it, and a later run with the same
/// id reads them back. <see cref="FileProviderBatchStore"/> keeps them in a file; the hosted worker keeps them in its
/// checkpoint store.
/// </para>
/// <para>Implementations must be safe for concurrent use and make each write durable before it returns.</para>
/// </remarks>
public interface IProviderBatchStore
{
    /// <summary>Reads every record a run saved, in the order it saved them, each with its batch id if one was saved.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The records.</returns>
    IAsyncEnumerable<ProviderBatchRecord> ReadAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Saves a record before its batch is created.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="record">The record, without a batch id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    Task AddAsync(string runId, ProviderBatchRecord record, CancellationToken cancellationToken = default);

    /// <summary>Saves the provider's id for a record saved before.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="key">The record's key.</param>
    /// <param name="batchId">The batch id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the id is durable.</returns>
    Task SetBatchIdAsync(string runId, string key, string batchId, CancellationToken cancellationToken = default);
}
