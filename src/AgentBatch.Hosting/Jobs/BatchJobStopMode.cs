namespace AgentBatch.Hosting;

/// <summary>How <see cref="IBatchJobManager.StopAsync"/> stops.</summary>
public enum BatchJobStopMode
{
    /// <summary>Starts no new task and lets running tasks finish; queued tasks stay queued.</summary>
    Graceful,

    /// <summary>Cancels running tasks (they end <see cref="BatchTaskStatus.Canceled"/>); queued tasks stay queued.</summary>
    Immediate,
}
