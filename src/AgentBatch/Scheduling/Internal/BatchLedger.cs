using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Where every item's result goes, exactly once: counted, reported as progress, judged by the stop condition, handed to the sink.</summary>
/// <remarks>
/// <para>
/// User code runs here (the progress receiver, the stop condition), and none of it can cost an item its result: a
/// receiver that throws is logged and the batch goes on; a stop condition that throws stops the batch as faulted, with
/// the unread items reported skipped, and the item it was judging is still handed on.
/// </para>
/// <para>Thread-safe: results arrive from every item's flow.</para>
/// </remarks>
internal sealed class BatchLedger<TItem, TOutput>
{
    private readonly BatchOptions _options;
    private readonly Func<BatchItemResult<TItem, TOutput>, bool>? _stopCondition;
    private readonly IBatchResultSink<TItem, TOutput> _sink;
    private readonly BatchStop _stop;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _startTimestamp;
    private readonly Lock _gate = new();
    private readonly UsageDetails _usage = new();
    private decimal _cost;
    private bool _costUnknown;
    private int _completed;
    private int _succeeded;
    private int _failed;
    private int? _total;
    private int _progressFailed;
    private ProviderBatchProgress? _providerBatch;

    public BatchLedger(
        BatchOptions options,
        Func<BatchItemResult<TItem, TOutput>, bool>? stopCondition,
        IBatchResultSink<TItem, TOutput> sink,
        BatchStop stop,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _options = options;
        _stopCondition = stopCondition;
        _sink = sink;
        _stop = stop;
        _timeProvider = timeProvider;
        _logger = logger;
        _startTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Gets the first failure in <see cref="BatchErrorHandling.Throw"/> mode.</summary>
    public BatchItemException? FirstFailure { get; private set; }

    public TimeSpan Elapsed => _timeProvider.GetElapsedTime(_startTimestamp);

    public int Completed => Volatile.Read(ref _completed);

    public int Succeeded => Volatile.Read(ref _succeeded);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Gets the reported usage of every item so far, summed (a copy).</summary>
    public UsageDetails Usage
    {
        get
        {
            lock (_gate)
            {
                return UsageMath.Copy(_usage);
            }
        }
    }

    /// <summary>Gets the cost of every item so far, or <see langword="null"/> when some item's usage had no known price.</summary>
    public decimal? Cost
    {
        get
        {
            lock (_gate)
            {
                return _costUnknown ? null : _cost;
            }
        }
    }

    /// <summary>Sets the number of items, once known (from the source up front, or when it ends).</summary>
    public void SetTotal(int total)
    {
        lock (_gate)
        {
            _total = total;
        }
    }

    /// <summary>Takes an item's result: the one place every result passes, whether it ran alone, in a group, or never started.</summary>
    /// <exception cref="OperationCanceledException">The consumer left: nobody wants the result.</exception>
    public ValueTask CompleteAsync(BatchItemResult<TItem, TOutput> result)
    {
        AgentBatchMetrics.ItemCompleted(result.Status, result.Duration, result.Usage, result.Cost);
        Count(result);

        if (_stopCondition is not null && result.Status is BatchItemStatus.Succeeded or BatchItemStatus.Failed)
        {
            JudgeStopCondition(result);
        }

        if (result.Status == BatchItemStatus.Failed && _options.ErrorHandling == BatchErrorHandling.Throw)
        {
            lock (_gate)
            {
                FirstFailure ??= new BatchItemException(result.Index, result.Error!);
            }

            _stop.TryStop(new StopState(BatchStopReason.Faulted, Drain: false, SkipReason: null, CancelInFlight: true, BatchNotSentReason.Canceled));
        }

        // In Throw mode the batch ends in the first failure's exception; the results after it are not handed on.
        return FirstFailure is null || _options.ErrorHandling != BatchErrorHandling.Throw
            ? _sink.AddAsync(result, _stop.AbandonToken)
            : ValueTask.CompletedTask;
    }

    private void Count(BatchItemResult<TItem, TOutput> result)
    {
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

            if (result.Cost is { } cost)
            {
                _cost += cost;
            }
            else
            {
                _costUnknown = true;
            }

            if (_options.Progress is { } reporter)
            {
                // Reported under the lock so a receiver sees counts that never go backwards.
                Report(reporter, Snapshot());
            }
        }
    }

    /// <summary>Takes what the provider reports of the batches the run waits for, and reports progress with it.</summary>
    public void ReportProviderProgress(ProviderBatchProgress progress)
    {
        AgentBatchMetrics.ProviderProgress(progress);
        lock (_gate)
        {
            _providerBatch = progress;
            if (_options.Progress is { } reporter)
            {
                Report(reporter, Snapshot());
            }
        }
    }

    /// <summary>Under the lock: the counts so far.</summary>
    private BatchProgress Snapshot() => new(
        _completed, _succeeded, _failed, _total, Elapsed, _usage.InputTokenCount ?? 0, _usage.OutputTokenCount ?? 0, _costUnknown ? null : _cost, _providerBatch);

    private void Report(IProgress<BatchProgress> reporter, BatchProgress progress)
    {
        try
        {
            reporter.Report(progress);
        }
        catch (Exception ex)
        {
            // A progress receiver touches no item: its failure costs none its result. Logged once a batch.
            if (Interlocked.Exchange(ref _progressFailed, 1) == 0)
            {
                Log.ProgressReceiverFailed(_logger, ex.GetType().Name, ex);
            }
        }
    }

    private void JudgeStopCondition(BatchItemResult<TItem, TOutput> result)
    {
        bool stop;
        try
        {
            stop = _stopCondition!(result);
        }
        catch (Exception ex)
        {
            // Without an answer from the condition the batch cannot know whether to go on: it stops, every item in
            // flight finishes (it is paid for), and every unread item is reported skipped with this error.
            var fault = new InvalidOperationException($"The stop condition threw {ex.GetType().Name} for batch item {result.Index}; the batch stopped.", ex);
            Log.BatchFaulted(_logger, fault.GetType().Name);
            _stop.SetFault(fault, new StopState(BatchStopReason.Faulted, Drain: true, SkipReason: fault, CancelInFlight: false, BatchNotSentReason.BatchFaulted));
            return;
        }

        if (stop)
        {
            _stop.TryStop(new StopState(BatchStopReason.StopConditionMet, Drain: true, SkipReason: null, CancelInFlight: true, BatchNotSentReason.StopConditionMet));
        }
    }
}
