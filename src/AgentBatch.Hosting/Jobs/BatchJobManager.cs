using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;

namespace AgentBatch.Hosting;

/// <summary>
/// The default <see cref="IBatchJobManager"/>: tasks wait in a priority queue and run as clones of one template agent
/// through <see cref="BatchRunner"/>, with its concurrency window, retries, budgets and pacing.
/// </summary>
/// <remarks>
/// Tasks are held in memory: a process restart forgets them (use <see cref="DocumentSetWorker"/> for durable work).
/// While started, the manager runs one streaming batch whose source is the queue, so a task submitted later starts as
/// soon as a slot is free, in priority order. Safe for concurrent use.
/// </remarks>
public sealed class BatchJobManager : IBatchJobManager, IAsyncDisposable
{
    private readonly BatchRunner _runner;
    private readonly IBatchAgent _template;
    private readonly BatchOptions _defaults;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JobTask> _tasks = new(StringComparer.Ordinal);
    private readonly PriorityQueue<JobTask, (int Priority, long Sequence)> _queue = new();
    private long _sequence;
    private int _queued;
    private int _running;
    private TaskCompletionSource _queueChanged = NewSignal();
    private TaskCompletionSource _idle = NewSignal();
    private JobRun? _run;
    private string? _lastError;

    /// <summary>Initializes a new instance of the <see cref="BatchJobManager"/> class.</summary>
    /// <param name="runner">The runner tasks run through.</param>
    /// <param name="template">The agent cloned once per task run.</param>
    /// <param name="defaults">The batch options every start begins from (retries, caps, pacing); <see langword="null"/> for defaults.</param>
    /// <param name="timeProvider">The clock for timestamps and estimates; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">The logger; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="runner"/> or <paramref name="template"/> is <see langword="null"/>.</exception>
    public BatchJobManager(BatchRunner runner, IBatchAgent template, BatchOptions? defaults = null, TimeProvider? timeProvider = null, ILogger<BatchJobManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(template);
        _runner = runner;
        _template = template;
        _defaults = defaults is null ? new BatchOptions() : new BatchOptions(defaults);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _run is not null;
            }
        }
    }

    /// <inheritdoc />
    public BatchTaskInfo Submit(string input, BatchTaskOptions? options = null) => SubmitMany([input], options, single: true)[0];

    /// <inheritdoc />
    public IReadOnlyList<BatchTaskInfo> SubmitMany(IEnumerable<string> inputs, BatchTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return SubmitMany(inputs.ToList(), options, single: false);
    }

    /// <inheritdoc />
    public void Start(BatchJobStartOptions? options = null)
    {
        options ??= new BatchJobStartOptions();
        var batchOptions = new BatchOptions(_defaults)
        {
            ItemTimeout = options.TaskTimeout ?? _defaults.ItemTimeout,

            // A task's failure is its own: it is retried or recorded, never allowed to stop the others.
            ErrorHandling = BatchErrorHandling.Collect,
        };

        // Set only when chosen here or missing (the queue needs a bound), so sequential defaults stay valid.
        if (options.MaxConcurrency is { } limit)
        {
            batchOptions.MaxConcurrency = limit;
        }
        else if (batchOptions.MaxConcurrency is null && !batchOptions.Sequential)
        {
            batchOptions.MaxConcurrency = BatchOptions.DefaultMaxConcurrency;
        }

        // Refused here, at the call, rather than by the background run.
        batchOptions.Validate();
        JobRun run;
        int queued;
        lock (_gate)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException("The job manager is already started; stop it before starting it again.");
            }

            run = _run = new JobRun(_timeProvider.GetTimestamp());
            queued = _queued;

            // Started under the lock so a concurrent StopAsync always sees the run's completion.
            run.Completion = Task.Run(() => RunAsync(run, batchOptions));
        }

        Log.JobsStarted(_logger, batchOptions.Sequential ? 1 : batchOptions.MaxConcurrency, queued);
    }

    /// <inheritdoc />
    public async Task StopAsync(BatchJobStopMode mode = BatchJobStopMode.Graceful, CancellationToken cancellationToken = default)
    {
        JobRun? run;
        lock (_gate)
        {
            run = _run;
        }

        if (run is null)
        {
            return;
        }

        RequestStop(run);
        if (mode == BatchJobStopMode.Immediate)
        {
            await run.Immediate.CancelAsync().ConfigureAwait(false);
        }

        await run.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        Log.JobsStopped(_logger, mode);
    }

    /// <inheritdoc />
    public Task WaitForIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return IsIdle() ? Task.CompletedTask : _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public BatchJobStatus GetStatus()
    {
        lock (_gate)
        {
            int completed = 0, failed = 0, canceled = 0;
            long tokens = 0;
            decimal? cost = 0;
            var completedTime = TimeSpan.Zero;
            foreach (var task in _tasks.Values)
            {
                switch (task.Status)
                {
                    case BatchTaskStatus.Completed:
                        completed++;
                        completedTime += task.ExecutionTime;
                        break;
                    case BatchTaskStatus.Failed:
                        failed++;
                        break;
                    case BatchTaskStatus.Canceled:
                        canceled++;
                        break;
                }

                tokens += (task.Usage.InputTokenCount ?? 0) + (task.Usage.OutputTokenCount ?? 0);
                cost = cost is { } sum && task.Cost is { } spent ? sum + spent : null;
            }

            var elapsed = _run is { } run ? _timeProvider.GetElapsedTime(run.StartedTimestamp) : TimeSpan.Zero;
            TimeSpan? remaining = null;
            if (_run is { FinishedSinceStart: > 0 } pacing)
            {
                // The pace since this start, applied to what is left: it accounts for concurrency and retries.
                remaining = elapsed / pacing.FinishedSinceStart * (_queued + _running);
            }

            return new BatchJobStatus
            {
                IsRunning = _run is not null,
                Queued = _queued,
                Running = _running,
                Completed = completed,
                Failed = failed,
                Canceled = canceled,
                Elapsed = elapsed,
                EstimatedRemaining = remaining,
                AverageExecutionTime = completed > 0 ? completedTime / completed : null,
                TotalTokens = tokens,
                Cost = cost,
                LastError = _lastError,
            };
        }
    }

    /// <inheritdoc />
    public BatchTaskInfo? GetTask(string taskId)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        lock (_gate)
        {
            return _tasks.TryGetValue(taskId, out var task) ? task.Snapshot() : null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<BatchTaskInfo> GetTasks(BatchTaskStatus? status = null)
    {
        lock (_gate)
        {
            return _tasks.Values.Where(t => status is null || t.Status == status).OrderBy(t => t.Sequence).Select(t => t.Snapshot()).ToList();
        }
    }

    /// <inheritdoc />
    public async Task ExportAsync(Stream destination, BatchExportFormat format, BatchTaskStatus? status = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var tasks = GetTasks(status);
        if (format == BatchExportFormat.Json)
        {
            await JsonSerializer.SerializeAsync(destination, tasks, HostingJsonContext.Indented.IReadOnlyListBatchTaskInfo, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (format != BatchExportFormat.Csv)
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "The format must be Json or Csv.");
        }

        var writer = new StreamWriter(destination, new UTF8Encoding(false), leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteLineAsync(Csv.Row(
                "id", "name", "status", "priority", "input", "output", "error", "runs", "attempts", "input_tokens", "output_tokens", "cost",
                "submitted_at", "started_at", "completed_at", "execution_ms")).ConfigureAwait(false);
            foreach (var t in tasks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await writer.WriteLineAsync(Csv.Row(
                    t.Id, t.Name, t.Status.ToString(), t.Priority.ToString(), t.Input, t.Output, t.Error, t.Runs, t.Attempts, t.InputTokens, t.OutputTokens, t.Cost,
                    t.SubmittedAt.ToString("O", CultureInfo.InvariantCulture), t.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
                    t.CompletedAt?.ToString("O", CultureInfo.InvariantCulture), Math.Round(t.ExecutionTime.TotalMilliseconds, 1))).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public int ClearFinished()
    {
        lock (_gate)
        {
            var finished = _tasks.Values.Where(t => t.IsFinished).Select(t => t.Id).ToList();
            foreach (var id in finished)
            {
                _tasks.Remove(id);
            }

            return finished.Count;
        }
    }

    /// <inheritdoc />
    public bool Cancel(string taskId)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        CancellationTokenSource? running;
        lock (_gate)
        {
            if (!_tasks.TryGetValue(taskId, out var task) || task.IsFinished)
            {
                return false;
            }

            if (task.Status == BatchTaskStatus.Queued)
            {
                // Its queue entry is skipped when it comes up.
                _queued--;
                Finish(task, BatchTaskStatus.Canceled, "Canceled by request before it started.");
                return true;
            }

            task.CancelRequested = true;
            running = task.Cancellation;
        }

        // Outside the lock: cancellation callbacks run inline and reach into the HTTP stack.
        try
        {
            running?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It finished meanwhile; it is reported as cancelled all the same, since CancelRequested was set first.
        }

        return true;
    }

    /// <summary>Stops at once, cancelling running tasks.</summary>
    /// <returns>A task that completes when the manager has stopped.</returns>
    public async ValueTask DisposeAsync() => await StopAsync(BatchJobStopMode.Immediate).ConfigureAwait(false);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private List<BatchTaskInfo> SubmitMany(List<string> inputs, BatchTaskOptions? options, bool single)
    {
        options ??= new BatchTaskOptions();
        for (var i = 0; i < inputs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(inputs[i]))
            {
                throw new ArgumentException(
                    single ? "A task's input cannot be null, empty or white space." : $"Input {i} is null, empty or white space; no task was queued.",
                    single ? "input" : nameof(inputs));
            }
        }

        var now = _timeProvider.GetUtcNow();
        var queued = new List<BatchTaskInfo>(inputs.Count);
        lock (_gate)
        {
            var ids = new string[inputs.Count];
            for (var i = 0; i < inputs.Count; i++)
            {
                ids[i] = options.Id is null ? $"task-{_sequence + i + 1}" : single ? options.Id : $"{options.Id}-{i + 1}";
                if (_tasks.ContainsKey(ids[i]) || Array.IndexOf(ids, ids[i], 0, i) >= 0)
                {
                    throw new ArgumentException($"A task with the identifier '{ids[i]}' already exists; no task was queued.", nameof(options));
                }
            }

            for (var i = 0; i < inputs.Count; i++)
            {
                var task = new JobTask(ids[i], ++_sequence, inputs[i], options, now);
                _tasks.Add(task.Id, task);
                Enqueue(task);
                queued.Add(task.Snapshot());
            }

            SignalQueueChanged();
        }

        return queued;
    }

    private async Task RunAsync(JobRun run, BatchOptions options)
    {
        // The tasks this run has started and not yet seen finish: what an immediate stop or a fault leaves running.
        var inFlight = new ConcurrentDictionary<JobTask, bool>();
        try
        {
            // Each task runs under its own token as well as the run's, so Cancel(id) stops that task alone.
            var results = _runner.StreamBatchAsync(
                _template,
                DequeueAsync(run, inFlight, options.Sequential ? 1 : options.MaxConcurrency!.Value),
                static task => new BatchInput(task.Input).WithCancellation(task.Cancellation!.Token),
                static response => response.Text,
                options,
                run.Immediate.Token);
            await foreach (var result in results.ConfigureAwait(false))
            {
                if (inFlight.TryRemove(result.Item, out _))
                {
                    Complete(result.Item, result, run);
                }
            }
        }
        catch (OperationCanceledException) when (run.Immediate.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A broken endpoint or a budget error: the run ends; what was running is accounted for below.
            Log.JobsFaulted(_logger, ex.GetType().Name, ex);
            lock (_gate)
            {
                run.Fault = ex;
                _lastError = ex.Message;
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var task in inFlight.Keys)
                {
                    _running--;
                    Finish(task, BatchTaskStatus.Canceled, run.Fault is { } fault ? $"The run stopped: {fault.Message}" : "Canceled by an immediate stop.");
                }

                _run = null;
                SignalIdleIfIdle(force: true);
            }
        }
    }

    /// <summary>The batch's item source: the highest-priority queued task each time a slot frees, until a graceful stop.</summary>
    private async IAsyncEnumerable<JobTask> DequeueAsync(JobRun run, ConcurrentDictionary<JobTask, bool> inFlight, int maxConcurrency)
    {
        while (true)
        {
            JobTask? next = null;
            Task changed;
            lock (_gate)
            {
                // Checked under the lock that stops set it under, so no task starts once a stop has begun.
                if (run.StopRequested)
                {
                    yield break;
                }

                // The runner frees a slot just before this manager has taken in the finished task's result: waiting for
                // that keeps the Running count within MaxConcurrency at every instant.
                while (_running < maxConcurrency && _queue.TryDequeue(out var candidate, out _))
                {
                    if (candidate.Status == BatchTaskStatus.Queued)
                    {
                        next = candidate;
                        break;
                    }
                }

                if (next is not null)
                {
                    _queued--;
                    _running++;
                    next.Status = BatchTaskStatus.Running;
                    next.Runs++;
                    next.StartedAt = _timeProvider.GetUtcNow();
                    next.Cancellation = new CancellationTokenSource();
                    inFlight[next] = true;
                }

                changed = _queueChanged.Task;
            }

            if (next is not null)
            {
                yield return next;
                continue;
            }

            await changed.ConfigureAwait(false);
        }
    }

    /// <summary>Records a run's result on its task.</summary>
    private void Complete(JobTask task, BatchItemResult<string> result, JobRun run)
    {
        lock (_gate)
        {
            _running--;
            task.Attempts += result.Attempts;
            if (result.Usage is { } usage)
            {
                task.Usage.Add(usage);
            }

            task.Cost = task.Cost is { } spent && result.Cost is { } cost ? spent + cost : null;
            task.ExecutionTime += result.Duration;

            if (task.CancelRequested)
            {
                Finish(task, BatchTaskStatus.Canceled, "Canceled by request while running.");
            }
            else if (result.Status == BatchItemStatus.Succeeded)
            {
                task.Output = result.Output;
                task.Error = null;
                Finish(task, BatchTaskStatus.Completed, null);
            }
            else if (result.Status == BatchItemStatus.Skipped)
            {
                // It never reached the model: the batch stopped first (a cap was reached, or the circuit opened on a failing endpoint).
                // Back in the queue for the next start; this run starts nothing more.
                task.Runs--;
                task.Error = result.Error?.Message;
                _lastError = result.Error?.Message;
                Requeue(task);
                RequestStop(run);
            }
            else if (result.Status == BatchItemStatus.Failed && task.Runs <= task.MaxRetries)
            {
                task.Error = result.Error?.Message;
                Requeue(task);
            }
            else
            {
                Finish(task, result.Status == BatchItemStatus.Failed ? BatchTaskStatus.Failed : BatchTaskStatus.Canceled, result.Error?.Message);
            }

            run.FinishedSinceStart++;
            SignalQueueChanged();
        }
    }

    private void RequestStop(JobRun run)
    {
        lock (_gate)
        {
            run.StopRequested = true;
            SignalQueueChanged();
        }
    }

    private void Requeue(JobTask task)
    {
        task.Cancellation?.Dispose();
        task.Cancellation = null;
        Enqueue(task);
        SignalQueueChanged();
    }

    private void Enqueue(JobTask task)
    {
        task.Status = BatchTaskStatus.Queued;
        _queued++;

        // Highest priority first; within one, first submitted first (a retried task keeps its place).
        _queue.Enqueue(task, (-(int)task.Priority, task.Sequence));
    }

    private void Finish(JobTask task, BatchTaskStatus status, string? error)
    {
        task.Status = status;
        task.Error = error ?? task.Error;
        task.CompletedAt = _timeProvider.GetUtcNow();
        task.Cancellation?.Dispose();
        task.Cancellation = null;
        SignalIdleIfIdle(force: false);
    }

    private bool IsIdle() => _run is null || (_queued == 0 && _running == 0);

    private void SignalQueueChanged()
    {
        _queueChanged.TrySetResult();
        _queueChanged = NewSignal();
        SignalIdleIfIdle(force: false);
    }

    private void SignalIdleIfIdle(bool force)
    {
        if (force || IsIdle())
        {
            _idle.TrySetResult();
            _idle = NewSignal();
        }
    }

    /// <summary>One start-to-stop span of the manager.</summary>
    /// <remarks>
    /// Its token source is left to the garbage collector: it has no timer or links, and a StopAsync racing the run's
    /// end must still be able to cancel it.
    /// </remarks>
    private sealed class JobRun
    {
        public JobRun(long startedTimestamp) => StartedTimestamp = startedTimestamp;

        public long StartedTimestamp { get; }

        /// <summary>Gets or sets a value indicating whether the run starts no more tasks; changed under the manager's lock.</summary>
        public bool StopRequested { get; set; }

        public CancellationTokenSource Immediate { get; } = new();

        public Task Completion { get; set; } = Task.CompletedTask;

        public int FinishedSinceStart { get; set; }

        public Exception? Fault { get; set; }
    }
}
