namespace AgentBatch.Hosting;

/// <summary>
/// Durable progress of document sets: which documents have a result, so that none is sent to the model twice and none
/// is lost when the worker stops or crashes.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="SqliteCheckpointStore"/> is the embedded default, for one worker: the worker takes its inbox for itself
/// while it runs. Register another implementation before calling <c>AddAgentBatchWorker</c> to replace it; one that also
/// implements <see cref="IDocumentLeaseStore"/> (AgentBatch.Hosting.PostgreSql) lets several workers share the inbox.
/// Implementations must be safe for concurrent use and must make <see cref="RecordAsync"/> durable before it returns:
/// the worker writes <c>results.jsonl</c> only from what the store holds.
/// </para>
/// <para>
/// A store also keeps what the sets spend against their caps (<see cref="OpenSpendLedgerAsync"/>) and may pace the
/// calls of every worker that shares it (<see cref="CreateRateLedger"/>). The default implementations keep both in the
/// process, and count only what recorded documents spent.
/// </para>
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

    /// <summary>
    /// Opens the account a run's token and cost caps are enforced against, holding what the run spent before: in earlier
    /// processes, by documents whose result was recorded and by calls in flight when a worker died.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="maxTotalTokens">The run's token cap; <see langword="null"/> for none.</param>
    /// <param name="maxCost">The run's cost cap; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The account, for the run's <see cref="BatchOptions.SpendLedger"/>.</returns>
    /// <remarks>
    /// The default implementation counts what the run's recorded results report (<see cref="ReadResultsAsync"/>) into an
    /// account kept in this process; a call in flight when the process died is not counted. <see cref="SqliteCheckpointStore"/>
    /// journals every reservation, so those count too.
    /// </remarks>
    async ValueTask<SpendLedger> OpenSpendLedgerAsync(DocumentSetCheckpoint run, long? maxTotalTokens, decimal? maxCost, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var ledger = SpendLedger.Create(maxTotalTokens, maxCost);
        await foreach (var result in ReadResultsAsync(run, cancellationToken).ConfigureAwait(false))
        {
            ledger.Charge(result.Usage?.TotalTokens ?? 0, result.Cost ?? 0m);
        }

        return ledger;
    }

    /// <summary>Creates the ledger that paces the worker's calls under the batch's tokens- and requests-per-minute limits.</summary>
    /// <param name="tokensPerMinute">The token limit; <see langword="null"/> for none.</param>
    /// <param name="requestsPerMinute">The request limit; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The worker's clock.</param>
    /// <returns>The ledger; the worker disposes it when it stops.</returns>
    /// <remarks>The default implementation paces this process alone (<see cref="RateLedger.Create(int?, int?, TimeProvider?)"/>); a store several workers share paces them together.</remarks>
    RateLedger CreateRateLedger(int? tokensPerMinute, int? requestsPerMinute, TimeProvider timeProvider) => RateLedger.Create(tokensPerMinute, requestsPerMinute, timeProvider);
}
