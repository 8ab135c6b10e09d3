using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Runs one batch: its parts wired together, from the source to the sink.</summary>
/// <remarks>
/// <para>An item's path reads in one direction, each step its own part:</para>
/// <list type="number">
/// <item><see cref="BatchDispatcher{TItem, TOutput}"/>: reads the source, waits for a slot in the window (<see cref="ConcurrencyWindow"/>), starts the item or group;</item>
/// <item><see cref="ItemExecutor{TItem, TOutput}"/>: maps the input, clones the agent, makes the item current, runs it under the item's deadline, maps the output, classifies a failure;</item>
/// <item><see cref="ModelCallPolicy"/>: every model call the agent makes, reached through the AgentBatch layer of its chat pipeline;</item>
/// <item><see cref="BatchLedger{TItem, TOutput}"/>: counts the result, reports progress, judges the stop condition, hands it to the sink;</item>
/// <item><see cref="BatchStop"/>: the one immutable stop state any part may publish, and the cancellation it brings.</item>
/// </list>
/// <para>
/// <c>RunBatchAsync</c> and <c>StreamBatchAsync</c> run this same engine; only the sink differs (results kept by
/// index, or a bounded channel to the consumer), so a batch has one fault path whatever the caller wants back.
/// </para>
/// </remarks>
internal sealed class BatchEngine<TItem, TOutput> : IDisposable
{
    private readonly BatchOptions _options;
    private readonly ILogger _logger;
    private readonly BatchStop _stop;
    private readonly ModelCallPolicy _policy;
    private readonly BatchLedger<TItem, TOutput> _ledger;
    private readonly BatchDispatcher<TItem, TOutput> _dispatcher;
    private readonly ProviderBatchCoordinator? _lane;

    public BatchEngine(
        Func<int, IBatchAgent> agentFactory,
        Func<TItem, BatchInput> inputMap,
        OutputReader<TOutput> output,
        Func<BatchItemResult<TItem, TOutput>, bool>? stopCondition,
        BatchOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        IBatchResultSink<TItem, TOutput> sink,
        CancellationToken cancellationToken)
    {
        _options = options;
        _logger = logger;
        _stop = new BatchStop(cancellationToken);
        var window = options.EffectiveConcurrency is { } limit ? new ConcurrencyWindow(limit) : null;
        _ledger = new BatchLedger<TItem, TOutput>(options, stopCondition, sink, _stop, timeProvider, logger);
        if (options.UsesProviderBatches)
        {
            _lane = new ProviderBatchCoordinator(options, timeProvider, logger, _ledger.ReportProviderProgress);
        }

        _policy = new ModelCallPolicy(options, timeProvider, logger, window, new SecretRedactor(options.Secrets), _lane);
        _policy.BatchFault += OnBatchFault;
        var executor = new ItemExecutor<TItem, TOutput>(agentFactory, inputMap, output, options, _policy, _stop, timeProvider, logger);
        _dispatcher = new BatchDispatcher<TItem, TOutput>(options, window, _stop, executor, _ledger, _policy.TokenCounter, logger, _lane);
    }

    /// <summary>Gets the token the item source is read under: cancelled when the caller cancels or the consumer leaves.</summary>
    public CancellationToken SourceToken => _stop.AbandonToken;

    /// <summary>Gets why the batch stopped.</summary>
    public BatchStopReason StopReason { get; private set; } = BatchStopReason.Completed;

    /// <summary>Gets the first failure in <see cref="BatchErrorHandling.Throw"/> mode.</summary>
    public BatchItemException? FirstFailure => _ledger.FirstFailure;

    /// <summary>Gets the error that stopped the batch (redacted), if any, once the batch has run.</summary>
    public Exception? Fault { get; private set; }

    public UsageDetails Usage => _ledger.Usage;

    public decimal? Cost => _ledger.Cost;

    public TimeSpan Elapsed => _ledger.Elapsed;

    public async Task RunAsync(ItemReader<TItem> reader)
    {
        var limit = _options.EffectiveConcurrency;
        using var activity = AgentBatchTelemetry.StartBatch(limit, reader.KnownCount);
        if (reader.KnownCount is { } total)
        {
            Log.BatchStarted(_logger, total, limit);
        }
        else
        {
            Log.StreamStarted(_logger, limit);
        }

        try
        {
            if (_lane is not null)
            {
                await LoadRecordedBatchesAsync(_lane).ConfigureAwait(false);
            }

            await _dispatcher.RunAsync(reader).ConfigureAwait(false);
        }
        finally
        {
            await _dispatcher.Completion.ConfigureAwait(false);
            if (_lane is not null)
            {
                await _lane.CloseAsync(cancelled: _stop.InFlightToken.IsCancellationRequested).ConfigureAwait(false);
            }

            StopReason = _stop.CallerToken.IsCancellationRequested ? BatchStopReason.Canceled : _stop.State?.Reason ?? BatchStopReason.Completed;
            Fault = _policy.Redactor.RedactOrNull(_stop.Fault);
            AgentBatchTelemetry.EndBatch(activity, StopReason, _ledger.Completed, _ledger.Failed);
            Log.BatchFinished(_logger, _ledger.Completed, _ledger.Succeeded, _ledger.Failed, StopReason, Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Reads an earlier run's provider batches before the first call, so that no recorded call is submitted again; a store that cannot be read stops the batch, every item skipped with the reason.</summary>
    private async Task LoadRecordedBatchesAsync(ProviderBatchCoordinator lane)
    {
        try
        {
            await lane.LoadAsync(_stop.InFlightToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.InFlightToken.IsCancellationRequested)
        {
            // Cancelled before anything ran: the dispatcher reports it.
        }
        catch (Exception ex)
        {
            Log.BatchFaulted(_logger, ex.GetType().Name);
            _stop.SetFault(ex, new StopState(BatchStopReason.Faulted, Drain: true, SkipReason: ex, CancelInFlight: false, BatchNotSentReason.BatchFaulted));
        }
    }

    /// <summary>Stops the batch because its consumer went away: in-flight items are cancelled and nothing more is read.</summary>
    public void Abandon() => _stop.Abandon();

    public void Dispose()
    {
        _lane?.Dispose();
        _policy.Dispose();
        _stop.Dispose();
    }

    /// <summary>The endpoint failed the batch (an open circuit, refused credentials, no such model): nothing more is sent; unread items are skipped with the reason.</summary>
    private void OnBatchFault(Exception error) =>
        _stop.SetFault(error, new StopState(
            BatchStopReason.Faulted,
            Drain: true,
            SkipReason: error,
            CancelInFlight: false,
            error is Polly.CircuitBreaker.BrokenCircuitException ? BatchNotSentReason.EndpointFailing : BatchNotSentReason.EndpointRefused));
}
