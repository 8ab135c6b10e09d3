using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Runs one batch: a sliding window of items, each through clone, input map, agent run and output map.</summary>
/// <remarks>
/// A single dispatcher reads the source and starts an item whenever a slot is free; items complete on their own
/// flows and hand their result to the sink. Every item read from the source gets exactly one result.
/// </remarks>
internal sealed partial class BatchEngine<TItem, TOutput> : IDisposable
{
    private readonly Func<int, IBatchAgent> _agentFactory;
    private readonly Func<TItem, string> _inputMap;
    private readonly Func<ChatResponse, TOutput> _outputMap;
    private readonly Func<BatchItemResult<TOutput>, bool>? _stopCondition;
    private readonly BatchOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ModelCallPipeline _calls;
    private readonly IBatchResultSink<TOutput> _sink;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _abandon;
    private readonly TaskCompletionSource _allItemsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly ConcurrencyWindow? _window;
    private readonly long _startTimestamp;

    private int _pending;
    private int _started;
    private int? _total;
    private int _stopRequested;
    private bool _drainOnStop;
    private Exception? _skipReason;

    private int _completed;
    private int _succeeded;
    private int _failed;
    private readonly UsageDetails _usage = new();
    private decimal _cost;

    public BatchEngine(
        Func<int, IBatchAgent> agentFactory,
        Func<TItem, string> inputMap,
        Func<ChatResponse, TOutput> outputMap,
        Func<BatchItemResult<TOutput>, bool>? stopCondition,
        BatchOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        IBatchResultSink<TOutput> sink,
        CancellationToken cancellationToken)
    {
        _agentFactory = agentFactory;
        _inputMap = inputMap;
        _outputMap = outputMap;
        _stopCondition = stopCondition;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _sink = sink;
        _callerToken = cancellationToken;
        _window = options.EffectiveConcurrency is { } limit ? new ConcurrencyWindow(limit) : null;
        _calls = new ModelCallPipeline(options, timeProvider, logger, _window);
        _calls.CircuitOpened += OnCircuitOpened;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _startTimestamp = timeProvider.GetTimestamp();
    }

    public BatchStopReason StopReason { get; private set; } = BatchStopReason.Completed;

    /// <summary>Gets the first failure in <see cref="BatchErrorHandling.Throw"/> mode.</summary>
    public BatchItemException? FirstFailure { get; private set; }

    /// <summary>Gets the error that stopped the batch when <see cref="StopReason"/> is <see cref="BatchStopReason.Faulted"/>.</summary>
    public Exception? Fault { get; private set; }

    public UsageDetails Usage
    {
        get
        {
            lock (_gate)
            {
                return _usage;
            }
        }
    }

    public decimal Cost
    {
        get
        {
            lock (_gate)
            {
                return _cost;
            }
        }
    }

    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(_startTimestamp);

    public async Task RunAsync(ItemReader<TItem> reader)
    {
        var limit = _options.EffectiveConcurrency;
        _total = reader.KnownCount;
        _pending = 1;

        using var activity = AgentBatchTelemetry.StartBatch(limit, _total);
        if (_total is { } total)
        {
            Log.BatchStarted(_logger, total, limit);
        }
        else
        {
            Log.StreamStarted(_logger, limit);
        }

        try
        {
            if (_options.MaxItemsPerRequest > 1)
            {
                await DispatchGroupsAsync(reader).ConfigureAwait(false);
            }
            else
            {
                await DispatchAsync(reader).ConfigureAwait(false);
            }

            if (_drainOnStop && !_abandon.IsCancellationRequested)
            {
                await DrainAsSkippedAsync(reader).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (Fault is null)
            {
                SetFault(ex);
            }

            ItemFinished();
            await _allItemsDone.Task.ConfigureAwait(false);

            if (_callerToken.IsCancellationRequested)
            {
                StopReason = BatchStopReason.Canceled;
            }

            AgentBatchTelemetry.EndBatch(activity, StopReason, _completed, _failed);
            Log.BatchFinished(_logger, _completed, _succeeded, _failed, StopReason, Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Stops the batch because its consumer went away: in-flight items are cancelled and nothing more is read.</summary>
    public void Abandon()
    {
        _abandon.Cancel();
        RequestStop(BatchStopReason.Canceled, drain: false, skipReason: null, cancelInFlight: true);
    }

    public void Dispose()
    {
        _calls.Dispose();
        _stop.Dispose();
        _abandon.Dispose();
    }

    private async Task DispatchAsync(ItemReader<TItem> reader)
    {
        while (await AcquireSlotAsync().ConfigureAwait(false))
        {
            if (!await TryReadNextAsync(reader).ConfigureAwait(false))
            {
                ReleaseSlot();
                return;
            }

            var index = _started++;
            Interlocked.Increment(ref _pending);
            _ = RunItemAsync(index, reader.Current);
        }
    }

    /// <summary>Waits for room in the window; <see langword="false"/>, holding nothing, once the batch stops.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AcquireSlotAsync()
    {
        if (_window is not null && !await _window.WaitAsync(_stop.Token).ConfigureAwait(false))
        {
            return false;
        }

        if (Volatile.Read(ref _stopRequested) != 0)
        {
            ReleaseSlot();
            return false;
        }

        return true;
    }

    /// <summary>Moves to the next item; <see langword="false"/> at the end of the source (the total is then known), when cancelled, or when the source throws (the batch faults).</summary>
    private async ValueTask<bool> TryReadNextAsync(ItemReader<TItem> reader)
    {
        try
        {
            if (await reader.MoveNextAsync().ConfigureAwait(false))
            {
                return true;
            }

            _total = _started;
            return false;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            SetFault(ex);
            return false;
        }
    }

    /// <summary>The result of an item that never started because the batch stopped first.</summary>
    private BatchItemResult<TOutput> Skipped(int index) =>
        new(index, BatchItemStatus.Skipped, default, _skipReason, null, 0m, 0, TimeSpan.Zero);

    private async Task DrainAsSkippedAsync(ItemReader<TItem> reader)
    {
        try
        {
            while (await reader.MoveNextAsync().ConfigureAwait(false))
            {
                var index = _started++;
                await CompleteAsync(Skipped(index)).ConfigureAwait(false);
            }

            _total = _started;
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            SetFault(ex);
        }
    }

    private async Task RunItemAsync(int index, TItem item)
    {
        // The item starts on the dispatcher's thread and runs until its first real await (the network call), like a
        // Parallel.ForEachAsync worker. A thread-pool hop here cost more CPU per item than everything else AgentBatch
        // adds (CPU-bound benchmark: 0.74x of the bare loop with it, 1.03x without). The item's AsyncLocal context is
        // undone when its async methods return; when its slot is released, the dispatcher goes on on this thread under
        // its own captured context, so nothing leaks either way.
        AgentBatchMetrics.ItemsInFlight(1);
        try
        {
            var result = await ExecuteAsync(index, item).ConfigureAwait(false);
            await CompleteAsync(result).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // The sink refused the result because the consumer left or the caller cancelled: nobody is waiting for it.
        }
        finally
        {
            AgentBatchMetrics.ItemsInFlight(-1);
            ReleaseSlot();
            ItemFinished();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<BatchItemResult<TOutput>> ExecuteAsync(int index, TItem item)
    {
        var started = _timeProvider.GetTimestamp();
        var context = new BatchItemContext(index, _calls);
        using var activity = AgentBatchTelemetry.StartItem(index);

        CancellationTokenSource? timeout = null;
        CancellationTokenSource? linked = null;
        var token = _stop.Token;
        if (_options.ItemTimeout is { } itemTimeout)
        {
            timeout = new CancellationTokenSource(itemTimeout, _timeProvider);
            linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
            token = linked.Token;
        }

        ChatResponse? response = null;
        var ran = false;
        BatchItemStatus status;
        TOutput? output = default;
        Exception? error = null;
        if (Volatile.Read(ref _stopRequested) != 0 && !_stop.IsCancellationRequested)
        {
            // Dispatched just before the batch stopped without cancelling: it never starts.
            return Skipped(index);
        }

        try
        {
            token.ThrowIfCancellationRequested();
            var input = MapInput(index, item);
            var agent = _agentFactory(index)
                ?? throw new InvalidOperationException($"The agent factory returned null for item {index}.");

            ran = true;
            response = await RunAgentAsync(agent, input, context, token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Agent '{agent.Name}' returned no response for item {index}.");
            output = _outputMap(response);
            status = BatchItemStatus.Succeeded;
        }
        catch (OperationCanceledException ex) when (_stop.IsCancellationRequested)
        {
            status = BatchItemStatus.Canceled;
            error = ex;
        }
        catch (BudgetExceededException ex) when (ex.ExceedsCap)
        {
            // Larger than the whole cap, this call could never be made: its item fails alone and the batch goes on.
            status = BatchItemStatus.Failed;
            error = ex;
        }
        catch (BudgetExceededException ex)
        {
            // Refused before its first request, the item never ran; refused mid-item (a tool loop), it failed.
            status = context.Attempts == 0 ? BatchItemStatus.Skipped : BatchItemStatus.Failed;
            error = ex;
            var reason = ex.Limit == BudgetLimit.Cost ? BatchStopReason.CostLimitReached : BatchStopReason.TokenLimitReached;

            // Items in flight hold reservations that fit: they finish. Nothing new starts.
            RequestStop(reason, drain: true, skipReason: ex, cancelInFlight: false);
        }
        catch (OperationCanceledException ex) when (timeout?.IsCancellationRequested == true)
        {
            status = BatchItemStatus.Failed;
            error = new TimeoutException($"Batch item {index} did not complete within the item timeout of {_options.ItemTimeout}.", ex);
        }
        catch (Exception ex)
        {
            status = BatchItemStatus.Failed;
            error = ex;
        }
        finally
        {
            linked?.Dispose();
            timeout?.Dispose();
        }

        // Agents wired through the batch pipeline report every call; others are trusted for their final response.
        var observedCalls = context.Calls > 0;
        var usage = observedCalls ? context.Usage : response?.Usage;
        var attempts = observedCalls ? context.Attempts : (ran ? 1 : 0);

        if (status == BatchItemStatus.Failed)
        {
            Log.ItemFailed(_logger, index, error!.GetType().Name, error);
            AgentBatchTelemetry.SetItemError(activity, error);
        }

        return new BatchItemResult<TOutput>(
            index, status, output, error, usage, context.Cost, attempts, _timeProvider.GetElapsedTime(started));
    }

    /// <summary>Runs an agent for an item, so that the batch sees every model call it makes.</summary>
    private static Task<ChatResponse> RunAgentAsync(IBatchAgent agent, string input, BatchItemContext context, CancellationToken cancellationToken)
    {
        if (agent is ChatAgent chatAgent)
        {
            return chatAgent.RunForItemAsync(input, context, cancellationToken);
        }

        // Any other agent's calls reach the batch layer (UseAgentBatch) through the item flowing on the calling context.
        BatchItemContext.Current = context;
        return agent.RunAsync(input, cancellationToken);
    }

    private string MapInput(int index, TItem item)
    {
        if (item is null)
        {
            throw new ArgumentException($"Batch item {index} is null; items must not contain null elements.");
        }

        var input = _inputMap(item);
        return string.IsNullOrWhiteSpace(input)
            ? throw new ArgumentException($"The input map returned {(input is null ? "null" : "an empty string")} for batch item {index}; every item needs a non-empty input.")
            : input;
    }

    private async ValueTask CompleteAsync(BatchItemResult<TOutput> result)
    {
        // Every item's result passes here exactly once, whether it ran alone, in a group, or never started.
        AgentBatchMetrics.ItemCompleted(result.Status, result.Duration, result.Usage, result.Cost);
        if (result.Status == BatchItemStatus.Failed && _options.ErrorHandling == BatchErrorHandling.Throw)
        {
            lock (_gate)
            {
                FirstFailure ??= new BatchItemException(result.Index, result.Error!);
            }

            RequestStop(BatchStopReason.Faulted, drain: false, skipReason: null, cancelInFlight: true);
        }

        BatchProgress? progress = null;
        lock (_gate)
        {
            _completed++;
            if (result.Status == BatchItemStatus.Succeeded)
            {
                _succeeded++;
            }
            else if (result.Status == BatchItemStatus.Failed)
            {
                _failed++;
            }

            if (result.Usage is { } usage)
            {
                _usage.Add(usage);
            }

            _cost += result.Cost;

            if (_options.Progress is { } reporter)
            {
                progress = new BatchProgress(
                    _completed, _succeeded, _failed, _total, Elapsed,
                    _usage.InputTokenCount ?? 0, _usage.OutputTokenCount ?? 0, _cost);

                // Reported under the lock so a receiver sees counts that never go backwards.
                reporter.Report(progress);
            }
        }

        if (_stopCondition is not null && result.Status is BatchItemStatus.Succeeded or BatchItemStatus.Failed)
        {
            bool stop;
            try
            {
                stop = _stopCondition(result);
            }
            catch (Exception ex)
            {
                SetFault(new InvalidOperationException($"The stop condition threw for batch item {result.Index}: {ex.Message}", ex));
                stop = false;
            }

            if (stop)
            {
                RequestStop(BatchStopReason.StopConditionMet, drain: true, skipReason: null, cancelInFlight: true);
            }
        }

        if (FirstFailure is null || _options.ErrorHandling != BatchErrorHandling.Throw)
        {
            await _sink.AddAsync(result, _abandon.Token).ConfigureAwait(false);
        }
    }

    private void SetFault(Exception error)
    {
        lock (_gate)
        {
            Fault ??= error;
        }

        Log.BatchFaulted(_logger, error.GetType().Name, error);

        // A fault leaves in-flight items to finish: they are paid for, and their results are still good.
        RequestStop(BatchStopReason.Faulted, drain: false, skipReason: null, cancelInFlight: false);
    }

    private void RequestStop(BatchStopReason reason, bool drain, Exception? skipReason, bool cancelInFlight)
    {
        if (Interlocked.CompareExchange(ref _stopRequested, 1, 0) != 0)
        {
            return;
        }

        StopReason = reason;
        _drainOnStop = drain;
        _skipReason = skipReason;
        if (cancelInFlight)
        {
            _stop.Cancel();
        }
    }

    private void ReleaseSlot() => _window?.Release();

    /// <summary>The endpoint is failing every call: stop starting items and report the unread ones as skipped, with the reason.</summary>
    private void OnCircuitOpened(Exception error)
    {
        // Reported once per rejected call: the first report's error is the batch's, and every skipped item carries it.
        Exception fault;
        lock (_gate)
        {
            fault = Fault ??= error;
        }

        RequestStop(BatchStopReason.Faulted, drain: true, skipReason: fault, cancelInFlight: false);
    }

    private void ItemFinished()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _allItemsDone.TrySetResult();
        }
    }
}
