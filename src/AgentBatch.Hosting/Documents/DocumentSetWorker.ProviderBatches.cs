namespace AgentBatch.Hosting;

/// <summary>A set run through the provider's batch API (<c>"execution": "batch"</c> in its <c>set.json</c>, or <c>AgentBatch:Execution</c>).</summary>
/// <remarks>
/// The set's provider batches are recorded in the checkpoint store under the run, so a worker that stops or crashes
/// after submitting re-attaches to them on its next start, reads what finished meanwhile, and submits no recorded
/// document again. The store must keep them (<see cref="IProviderBatchStore"/>, as <see cref="SqliteCheckpointStore"/> does).
/// </remarks>
public sealed partial class DocumentSetWorker
{
    /// <summary>Why a set cannot run in the lane it asks for; <see langword="null"/> when it can.</summary>
    private string? LaneProblem(Internal.DocumentSet set)
    {
        var execution = ExecutionOf(set);
        if (execution is null)
        {
            return $"Its manifest's \"execution\" is '{set.Manifest.Execution}'; it must be \"live\" or \"batch\".";
        }

        return execution == BatchExecution.ProviderBatch && _store is not IProviderBatchStore
            ? $"It asks for the provider's batch API, and the checkpoint store ({_store.GetType().Name}) does not keep provider batches (IProviderBatchStore), so a restart could not re-attach to them."
            : null;
    }

    /// <summary>The set's options in the lane it asks for: in the provider batch lane, its batches recorded under the run.</summary>
    private BatchOptions WithLane(BatchOptions options, Internal.DocumentSet set, DocumentSetCheckpoint run)
    {
        options.Execution = ExecutionOf(set) ?? options.Execution;
        if (options.Execution == BatchExecution.ProviderBatch)
        {
            options.ProviderBatch.Store = (IProviderBatchStore)_store;
            options.ProviderBatch.RunId = "set-" + run.SetId;
        }

        return options;
    }

    /// <summary>The lane a set asks for: its manifest's, else the batch's own; <see langword="null"/> for a value that names none.</summary>
    private BatchExecution? ExecutionOf(Internal.DocumentSet set) => set.Manifest.Execution?.Trim().ToUpperInvariant() switch
    {
        null or "" => _batch.Execution,
        "LIVE" => BatchExecution.Live,
        "BATCH" or "PROVIDERBATCH" => BatchExecution.ProviderBatch,
        _ => null,
    };
}
