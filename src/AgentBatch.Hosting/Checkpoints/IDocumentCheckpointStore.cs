namespace AgentBatch.Hosting;

/// <summary>
/// Durable progress of document sets: which documents have a result, so that none is sent to the model twice and none
/// is lost when the worker stops or crashes.
/// </summary>
/// <remarks>
/// <see cref="SqliteCheckpointStore"/> is the embedded default; register another implementation (a shared server
/// database) before calling <c>AddAgentBatchWorker</c> to replace it. Implementations must be safe for concurrent use
/// and must make <see cref="RecordAsync"/> durable before it returns: the worker writes <c>results.jsonl</c> only from
/// what the store holds.
/// </remarks>
public interface IDocumentCheckpointStore
{
    /// <summary>Opens the newest run of a set that has not been archived, or starts a new run.</summary>
    /// <param name="setName">The set's name.</param>
    /// <param name="identity">
    /// What tells this set from another dropped later under the same name; <see langword="null"/> when unknown. When the
    /// newest unarchived run has a different identity, its set is gone: that run is archived and a new one starts.
    /// </param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The run.</returns>
    Task<DocumentSetCheckpoint> OpenSetAsync(string setName, string? identity = null, CancellationToken cancellationToken = default);

    /// <summary>Gets whether a document of a run already has a recorded result.</summary>
    /// <param name="run">The run.</param>
    /// <param name="documentKey">The document's key within the set.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> if a result is recorded.</returns>
    ValueTask<bool> IsRecordedAsync(DocumentSetCheckpoint run, string documentKey, CancellationToken cancellationToken = default);

    /// <summary>Records a document's result durably.</summary>
    /// <param name="run">The run.</param>
    /// <param name="result">The result.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> if recorded now; <see langword="false"/> if a result for the document was already recorded, which is kept.</returns>
    ValueTask<bool> RecordAsync(DocumentSetCheckpoint run, DocumentResult result, CancellationToken cancellationToken = default);

    /// <summary>Reads a run's recorded results, in the order they were recorded.</summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results.</returns>
    IAsyncEnumerable<DocumentResult> ReadResultsAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default);

    /// <summary>Moves a run to a new state.</summary>
    /// <param name="run">The run.</param>
    /// <param name="state">The new state.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the state is stored.</returns>
    Task SetStateAsync(DocumentSetCheckpoint run, DocumentSetState state, CancellationToken cancellationToken = default);
}
