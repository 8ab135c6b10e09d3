namespace AgentBatch.Hosting;

/// <summary>Where a job task stands.</summary>
public enum BatchTaskStatus
{
    /// <summary>Waiting for a free slot, or for the manager to start.</summary>
    Queued,

    /// <summary>Running now.</summary>
    Running,

    /// <summary>Finished with an output.</summary>
    Completed,

    /// <summary>Finished with an error, after its retries.</summary>
    Failed,

    /// <summary>Cancelled by <see cref="IBatchJobManager.Cancel(string)"/> or an immediate stop.</summary>
    Canceled,
}
