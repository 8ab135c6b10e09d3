namespace AgentBatch.Hosting;

/// <summary>
/// A queue of agent tasks with job control: submit tasks with priorities and retries, start and stop processing, watch
/// status, read and export results, cancel a task, clear finished ones.
/// </summary>
/// <remarks>
/// Every member is safe to call concurrently with every other; each status change of a task happens at once, so a
/// <see cref="GetStatus"/> snapshot always counts every task exactly once.
/// </remarks>
public interface IBatchJobManager
{
    /// <summary>Gets a value indicating whether the manager is started.</summary>
    bool IsRunning { get; }

    /// <summary>Queues one task.</summary>
    /// <param name="input">The agent's input.</param>
    /// <param name="options">The task's priority, retries, identifier and name; <see langword="null"/> for defaults.</param>
    /// <returns>The task as queued.</returns>
    /// <exception cref="ArgumentException"><paramref name="input"/> is null, empty or white space, or <see cref="BatchTaskOptions.Id"/> is already used.</exception>
    BatchTaskInfo Submit(string input, BatchTaskOptions? options = null);

    /// <summary>Queues several tasks with the same options, all or none.</summary>
    /// <param name="inputs">The agents' inputs.</param>
    /// <param name="options">The tasks' priority, retries, identifier prefix and name; <see langword="null"/> for defaults.</param>
    /// <returns>The tasks as queued, in the order of <paramref name="inputs"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An input is null, empty or white space, or an identifier is already used; nothing is queued.</exception>
    IReadOnlyList<BatchTaskInfo> SubmitMany(IEnumerable<string> inputs, BatchTaskOptions? options = null);

    /// <summary>Starts running queued tasks, and tasks submitted later, in the background.</summary>
    /// <param name="options">Concurrency and per-task timeout; <see langword="null"/> for defaults.</param>
    /// <exception cref="InvalidOperationException">The manager is already started.</exception>
    /// <exception cref="ArgumentException">
    /// The batch options the run would use (the manager's defaults with <paramref name="options"/> applied) are invalid, as
    /// <see cref="BatchOptions.Validate()"/> reports them; nothing is started.
    /// </exception>
    void Start(BatchJobStartOptions? options = null);

    /// <summary>Stops running tasks, gracefully or at once, and waits until the manager has stopped.</summary>
    /// <param name="mode">Whether running tasks finish or are cancelled.</param>
    /// <param name="cancellationToken">Stops the waiting (not the stop itself).</param>
    /// <returns>A task that completes when no task runs.</returns>
    Task StopAsync(BatchJobStopMode mode = BatchJobStopMode.Graceful, CancellationToken cancellationToken = default);

    /// <summary>Waits until no task is queued or running, or the manager stops.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the manager is idle.</returns>
    Task WaitForIdleAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts the tasks by status, with progress and an estimate of the time left.</summary>
    /// <returns>A consistent snapshot.</returns>
    BatchJobStatus GetStatus();

    /// <summary>Gets one task.</summary>
    /// <param name="taskId">The task's identifier.</param>
    /// <returns>The task, or <see langword="null"/> if there is none with that identifier (or it was cleared).</returns>
    BatchTaskInfo? GetTask(string taskId);

    /// <summary>Gets the tasks, optionally only those with one status, in the order they were submitted.</summary>
    /// <param name="status">The status to keep; <see langword="null"/> for all.</param>
    /// <returns>The tasks.</returns>
    IReadOnlyList<BatchTaskInfo> GetTasks(BatchTaskStatus? status = null);

    /// <summary>Writes the tasks, optionally only those with one status, as JSON or CSV.</summary>
    /// <param name="destination">The stream written to; left open.</param>
    /// <param name="format">JSON or CSV.</param>
    /// <param name="status">The status to keep; <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the tasks are written.</returns>
    Task ExportAsync(Stream destination, BatchExportFormat format, BatchTaskStatus? status = null, CancellationToken cancellationToken = default);

    /// <summary>Forgets completed, failed and cancelled tasks.</summary>
    /// <returns>The number of tasks forgotten.</returns>
    int ClearFinished();

    /// <summary>Cancels one task: a queued task never runs, a running one is stopped.</summary>
    /// <param name="taskId">The task's identifier.</param>
    /// <returns><see langword="true"/> if the task was queued or running; <see langword="false"/> if it had finished or is unknown.</returns>
    bool Cancel(string taskId);
}
