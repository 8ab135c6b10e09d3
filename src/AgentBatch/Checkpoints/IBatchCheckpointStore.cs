namespace AgentBatch;

/// <summary>Where a batch's final item results are kept, so that a run of the same batch after a crash skips the items already done.</summary>
/// <remarks>
/// <para>
/// Entries are keyed by the run (a key the caller chooses), the batch's fingerprint (its instructions, model and the
/// options its results depend on: another fingerprint starts fresh) and the item's key. The runner records an item only
/// when its outcome is final (<see cref="BatchItemResult{TOutput}.IsFinal"/>): an item an outage, a refused key or a
/// spent cap kept from finishing runs again. AgentBatch.Hosting's <c>SqliteCheckpointStore</c> and
/// AgentBatch.Hosting.PostgreSql's <c>PostgreSqlCheckpointStore</c> implement it.
/// </para>
/// <para>Implementations are safe for concurrent use and make <see cref="RecordAsync"/> durable before it returns.</para>
/// </remarks>
public interface IBatchCheckpointStore
{
    /// <summary>Reads the entries recorded for a run under a fingerprint.</summary>
    /// <param name="runKey">The run's key.</param>
    /// <param name="fingerprint">The batch's fingerprint; entries recorded under another are not read.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The entries, in no particular order.</returns>
    IAsyncEnumerable<BatchCheckpointEntry> ReadAsync(string runKey, string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>Records an item's final result durably; an entry already recorded for the same item is kept.</summary>
    /// <param name="runKey">The run's key.</param>
    /// <param name="fingerprint">The batch's fingerprint.</param>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the entry is durable.</returns>
    ValueTask RecordAsync(string runKey, string fingerprint, BatchCheckpointEntry entry, CancellationToken cancellationToken = default);
}
