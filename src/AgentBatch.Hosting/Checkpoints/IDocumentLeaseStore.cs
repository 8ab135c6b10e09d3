namespace AgentBatch.Hosting;

/// <summary>
/// A checkpoint store several workers share, on one machine or many: each document of a set is leased to one worker at
/// a time, so no document is sent by two workers and none is lost when a worker dies.
/// </summary>
/// <remarks>
/// <para>
/// The worker takes a set's documents into the store when any worker first opens its run (<see cref="AddDocumentsAsync"/>),
/// then leases them in order (<see cref="ClaimAsync"/>), sends them, and records each final result under its lease
/// (<see cref="RecordAsync(DocumentLease, DocumentResult, CancellationToken)"/>). A store keeps the leases of the
/// process alive while it runs and lets a lease run out <see cref="LeaseDuration"/> after its worker stopped renewing
/// it; the document is then leased again, to any worker. A worker whose lease ran out or was taken records nothing. When
/// every document has a result, one worker (<see cref="TryBeginFinishAsync"/>) writes the set's outputs from the store
/// and archives it.
/// </para>
/// <para>Implementations are safe for concurrent use, by the threads of one process and by any number of processes.</para>
/// </remarks>
public interface IDocumentLeaseStore : IDocumentCheckpointStore
{
    /// <summary>Gets how long a lease lasts after its worker last renewed it; a dead worker's documents are leased again within it.</summary>
    TimeSpan LeaseDuration { get; }

    /// <summary>Takes a run's documents into the store, once: the first caller adds them, and later or concurrent callers find them added.</summary>
    /// <param name="run">The run.</param>
    /// <param name="documents">The set's documents in order, read only when the run has none yet.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when this call added them; <see langword="false"/> when they were added already.</returns>
    Task<bool> AddDocumentsAsync(DocumentSetCheckpoint run, Func<IEnumerable<SetDocument>> documents, CancellationToken cancellationToken = default);

    /// <summary>Leases up to <paramref name="count"/> of the run's documents that have no result and no live lease, in the set's order.</summary>
    /// <param name="run">The run.</param>
    /// <param name="count">The most documents to lease.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The leases; empty when no document can be leased now.</returns>
    Task<IReadOnlyList<DocumentLease>> ClaimAsync(DocumentSetCheckpoint run, int count, CancellationToken cancellationToken = default);

    /// <summary>Records a leased document's result durably, if the lease is still this worker's.</summary>
    /// <param name="lease">The lease.</param>
    /// <param name="result">The result.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> if recorded now; <see langword="false"/> if the lease ran out or was taken, or a result was recorded already, and nothing was recorded.</returns>
    ValueTask<bool> RecordAsync(DocumentLease lease, DocumentResult result, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease back without a result: another worker may lease the document at once, this one once <paramref name="retryAfter"/> has passed.</summary>
    /// <param name="lease">The lease.</param>
    /// <param name="retryAfter">How long this worker leaves the document alone: zero after a shutdown, the set's retry delay after a failure that was not the document's, so one pass never sends it twice.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the lease is given back.</returns>
    ValueTask ReleaseAsync(DocumentLease lease, TimeSpan retryAfter, CancellationToken cancellationToken = default);

    /// <summary>Counts a run's documents by where they stand.</summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The counts.</returns>
    Task<DocumentSetProgress> GetProgressAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a run whose every document has a result <see cref="DocumentSetState.Completed"/> and gives this worker the
    /// right to finish it (write its outputs, archive it), held like a lease.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> for the one worker that finishes the run; <see langword="false"/> while documents lack a result or another live worker finishes it.</returns>
    Task<bool> TryBeginFinishAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default);
}
