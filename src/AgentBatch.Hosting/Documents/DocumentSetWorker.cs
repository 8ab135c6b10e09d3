using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting;

/// <summary>
/// A hosted service that runs an agent over every document of every set dropped into an inbox folder, durably: a
/// document whose result is recorded is never sent again, and a stop or crash at any instant loses no finished document.
/// </summary>
/// <remarks>
/// <para>
/// Sets run one at a time, highest <see cref="BatchPriority"/> first and first come first served within a priority;
/// the documents of a set run concurrently through <see cref="BatchRunnerExtensions.StreamBatchAsync{TItem, TOutput}(BatchRunner, IBatchAgent, IAsyncEnumerable{TItem}, Func{TItem, BatchInput}, Func{ChatResponse, TOutput}, BatchOptions?, CancellationToken)"/>,
/// so a set of any size runs in flat memory. A running set is not interrupted by a set of higher priority.
/// </para>
/// <para>
/// On shutdown the worker starts no new document and lets the documents in flight finish and be recorded within the
/// host's shutdown timeout; what does not finish runs on the next start. Register it with <c>AddAgentBatchWorker</c>.
/// </para>
/// </remarks>
public sealed partial class DocumentSetWorker : BackgroundService
{
    private readonly BatchRunner _runner;
    private readonly IChatClient _chatClient;
    private readonly IDocumentCheckpointStore _store;
    private readonly BatchOptions _batch;
    private readonly DocumentWorkerOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly DocumentSetReader _reader;
    private readonly IDocumentLeaseStore? _shared;
    private readonly SetBatch _setBatch;
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _intake = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, (long Until, bool Failed)> _deferred = new(StringComparer.Ordinal);
    private RateLedger? _pacing;

    /// <summary>Initializes a new instance of the <see cref="DocumentSetWorker"/> class.</summary>
    /// <param name="batches">The registered batches; the worker runs on the one <see cref="DocumentWorkerOptions.BatchName"/> names, with its runner, chat client and options (its token and cost caps hold per set).</param>
    /// <param name="store">The checkpoint store.</param>
    /// <param name="workerOptions">The inbox, output, profiles and batch name.</param>
    /// <param name="lifetime">The host's lifetime, stopped when <see cref="DocumentWorkerOptions.ExitWhenIdle"/> is set and the inbox is done.</param>
    /// <param name="timeProvider">The clock for polling and summaries.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The batch has no chat client.</exception>
    public DocumentSetWorker(
        IAgentBatchFactory batches,
        IDocumentCheckpointStore store,
        IOptions<DocumentWorkerOptions> workerOptions,
        IHostApplicationLifetime lifetime,
        TimeProvider timeProvider,
        ILogger<DocumentSetWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(workerOptions);
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        var batch = batches.Create(workerOptions.Value.BatchName);
        _runner = batch.Runner;
        _chatClient = batch.ChatClient;
        _store = store;
        _batch = batch.Options;
        _options = workerOptions.Value;
        _lifetime = lifetime;
        _timeProvider = timeProvider;
        _logger = logger;
        _reader = new DocumentSetReader(_options.MaxDocumentBytes);

        // A store that leases documents is shared with other workers; any other is this worker's alone.
        _shared = store as IDocumentLeaseStore;
        _setBatch = new SetBatch(_runner, _chatClient, _logger);
    }

    private enum SetOutcome
    {
        Finished,
        Stopped,
        Deferred,
    }

    /// <summary>Starts no new document, then waits for the documents in flight until <paramref name="cancellationToken"/> fires, when they are abandoned.</summary>
    /// <param name="cancellationToken">Signals that the host's shutdown timeout has passed.</param>
    /// <returns>A task that completes when the worker has stopped or the timeout has passed.</returns>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Synchronous, so the linked tokens the document source watches are cancelled before this line returns.
        _intake.Cancel();
        Log.WorkerStopping(_logger);

        // Abandoned documents are not recorded, so they run again on the next start.
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abort);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Past the timeout, give the abandoned documents a moment to unwind before the host disposes the store under them.
        if (ExecuteTask is { IsCompleted: false } running)
        {
            await Task.WhenAny(running, Task.Delay(AbandonGrace, _timeProvider, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        base.Dispose();
        _abort.Dispose();
        _intake.Dispose();
        _pacing?.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _intake.Token);
        await ExecuteCoreAsync(stopping.Token).ConfigureAwait(false);
    }

    private async Task ExecuteCoreAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting before the first scan.
        await Task.Yield();
        var scanner = new InboxScanner(_options.InboxPath, _logger);
        Directory.CreateDirectory(_options.InboxPath);

        // A store of this worker's own cannot be shared: the inbox is this process's while it runs.
        using var inbox = _shared is null ? await TakeInboxAsync(stoppingToken).ConfigureAwait(false) : null;
        if (_shared is null && inbox is null)
        {
            return;
        }

        using var watcher = Watch(_options.InboxPath);
        if (_batch.RateLedger is null && (_batch.TokensPerMinute.HasValue || _batch.RequestsPerMinute.HasValue))
        {
            // One pacing ledger for the worker's lifetime, so one set starting as another ends does not reset the window.
            _pacing = _store.CreateRateLedger(_batch.TokensPerMinute, _batch.RequestsPerMinute, _timeProvider);
        }

        Log.WorkerStarted(_logger, _options.InboxPath, _options.OutputPath);

        while (!stoppingToken.IsCancellationRequested)
        {
            var sets = scanner.Scan();
            var next = sets.FirstOrDefault(s => !IsDeferred(s.Name));
            if (next is null)
            {
                // Sets other workers are finishing will leave the inbox: wait for them rather than report them unfinished.
                if (_options.ExitWhenIdle && !sets.Any(s => IsWaitingForOthers(s.Name)))
                {
                    if (sets.Count > 0)
                    {
                        Environment.ExitCode = 1;
                    }

                    Log.Idle(_logger);
                    _lifetime.StopApplication();
                    return;
                }

                await WaitForWorkAsync(stoppingToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var outcome = _shared is null
                    ? await ProcessSetAsync(next, stoppingToken).ConfigureAwait(false)
                    : await ProcessSharedSetAsync(_shared, next, stoppingToken).ConfigureAwait(false);
                if (outcome == SetOutcome.Stopped)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Data.Common.DbException)
            {
                // A database that is away a moment (the shared store's, or SQLite's file locked) puts the set off like a
                // folder that cannot be read: the worker goes on, and the set is tried again.
                Defer(next.Name, ex);
            }
        }
    }

    /// <summary>Takes the inbox for this process, waiting while another worker holds it (or, with <see cref="DocumentWorkerOptions.ExitWhenIdle"/>, stopping the host).</summary>
    private async Task<InboxLock?> TakeInboxAsync(CancellationToken stoppingToken)
    {
        var told = false;
        while (true)
        {
            if (InboxLock.TryAcquire(_options.InboxPath, _timeProvider, out var holder) is { } taken)
            {
                return taken;
            }

            if (!told || _options.ExitWhenIdle)
            {
                Log.InboxHeld(_logger, _options.InboxPath, holder, _options.ExitWhenIdle ? "stopping" : "waiting for it to stop");
                told = true;
            }

            if (_options.ExitWhenIdle)
            {
                Environment.ExitCode = 1;
                _lifetime.StopApplication();
                return null;
            }

            try
            {
                await Task.Delay(_options.PollInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private async Task<SetOutcome> ProcessSetAsync(DocumentSet set, CancellationToken stoppingToken)
    {
        // A run that finished, or stopped, for another set of the same name (one moved away, or taken out of the inbox
        // unfinished) is told apart by the identity, so its recorded results never stand in for this set's documents.
        var run = await _store.OpenSetAsync(set.Name, SetIdentity.Of(set), stoppingToken).ConfigureAwait(false);
        var profileName = set.Manifest.Profile ?? DocumentWorkerOptions.DefaultProfileName;
        using var writer = new SetOutputWriter(Path.Combine(_options.OutputPath, RunName(set.Name, run)));
        // The totals of what the store holds, kept up to date as documents are recorded, for the summary.
        var totals = await writer.RebuildAsync(_store.ReadResultsAsync(run, stoppingToken), stoppingToken).ConfigureAwait(false);

        var problem = Problem(set, profileName, out var profile);
        if (problem is not null)
        {
            Log.SetRefused(_logger, set.Name, problem);
        }
        else if (run.State == DocumentSetState.Running)
        {
            Log.SetStarted(_logger, set.Name, run.RunNumber, set.Manifest.Priority, profileName, totals.Total);
            var outcome = await RunDocumentsAsync(set, run, profileName, profile, writer, totals, stoppingToken).ConfigureAwait(false);
            if (KeepsSetOpen(set, outcome) is { } unfinished)
            {
                return unfinished;
            }
        }

        // Completed first: a crash from here on finishes the set again from the store, with nothing sent.
        await _store.SetStateAsync(run, DocumentSetState.Completed, CancellationToken.None).ConfigureAwait(false);
        await FinishAsync(set, run, profileName, writer, totals, problem, CancellationToken.None).ConfigureAwait(false);
        return SetOutcome.Finished;
    }

    private async Task<SetRunOutcome> RunDocumentsAsync(
        DocumentSet set, DocumentSetCheckpoint run, string profileName, AgentProfile profile, SetOutputWriter writer, SetTotals totals, CancellationToken stoppingToken)
    {
        var options = WithLane(await SetOptionsAsync(run, stoppingToken).ConfigureAwait(false), set, run);
        return await _setBatch.RunAsync(
            set.Name,
            profileName,
            profile,
            options,
            ReadPendingAsync(set, run, stoppingToken),
            static document => document,
            async (_, result) =>
            {
                if (await _store.RecordAsync(run, result, CancellationToken.None).ConfigureAwait(false))
                {
                    writer.Append(result);
                    totals.Add(result);
                }
            },
            static (_, _) => default,
            _abort.Token,
            stoppingToken).ConfigureAwait(false);
    }

    /// <summary>The outcome of a pass that leaves the set in the inbox, with the reason logged; <see langword="null"/> when the pass finished the set.</summary>
    private SetOutcome? KeepsSetOpen(DocumentSet set, SetRunOutcome outcome)
    {
        if (outcome.Stopped)
        {
            Log.SetInterrupted(_logger, set.Name);
            return SetOutcome.Stopped;
        }

        if (outcome.IsFinished)
        {
            return null;
        }

        // A set with documents still pending is never archived: they run when it is tried again.
        Log.SetUnfinished(_logger, set.Name, outcome.Pending, outcome.Reason ?? "unknown", _options.SetRetryDelay, outcome.Error);
        DeferFor(set.Name, _options.SetRetryDelay, failed: true);
        return SetOutcome.Deferred;
    }

    /// <summary>The batch options of one pass over a run: its caps against the store's account of the run, the worker's pacing.</summary>
    private async Task<BatchOptions> SetOptionsAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken)
    {
        var options = new BatchOptions(_batch)
        {
            // A document's failure is its own: recorded on its line, never allowed to stop the set.
            ErrorHandling = BatchErrorHandling.Collect,
        };

        if (options.MaxTotalTokens.HasValue || options.MaxCost.HasValue)
        {
            // Caps hold per set across restarts (and workers): what the run spent before, recorded or in flight when a worker died, is gone.
            options.SpendLedger = await _store.OpenSpendLedgerAsync(run, options.MaxTotalTokens, options.MaxCost, cancellationToken).ConfigureAwait(false);
            options.MaxTotalTokens = null;
            options.MaxCost = null;
        }

        if (_pacing is not null)
        {
            options.RateLedger = _pacing;
            options.TokensPerMinute = null;
            options.RequestsPerMinute = null;
        }

        return options;
    }

    private string? Problem(DocumentSet set, string profileName, out AgentProfile profile)
    {
        var configured = TryGetProfile(profileName, out profile);
        return set.Problem ?? (configured ? null : $"Its profile '{profileName}' is not configured under {DocumentWorkerOptions.SectionName}:Profiles.") ?? LaneProblem(set);
    }

    /// <summary>Yields the set's documents that have no recorded result, until the host starts stopping.</summary>
    private async IAsyncEnumerable<DocumentItem> ReadPendingAsync(
        DocumentSet set, DocumentSetCheckpoint run, [EnumeratorCancellation] CancellationToken stoppingToken)
    {
        foreach (var document in _reader.Read(set))
        {
            // Ending the source, rather than throwing, lets the documents in flight finish and be recorded.
            if (stoppingToken.IsCancellationRequested)
            {
                yield break;
            }

            if (await _store.IsRecordedAsync(run, document.Key, CancellationToken.None).ConfigureAwait(false))
            {
                continue;
            }

            yield return document;
        }
    }

    private async Task FinishAsync(
        DocumentSet set, DocumentSetCheckpoint run, string profileName, SetOutputWriter writer, SetTotals totals, string? problem, CancellationToken cancellationToken)
    {
        await writer.WriteSummaryAsync(
            new DocumentSetSummary
            {
                Name = set.Name,
                Profile = profileName,
                Run = run.RunNumber,
                Error = problem,
                Priority = set.Manifest.Priority,
                Total = totals.Total,
                Succeeded = totals.Succeeded,
                Failed = totals.Failed,
                Skipped = totals.Skipped,
                InputTokens = totals.InputTokens,
                OutputTokens = totals.OutputTokens,
                Cost = totals.CostUnknown ? null : totals.Cost,
                StartedAt = run.StartedAt,
                CompletedAt = _timeProvider.GetUtcNow(),
                OutputFolder = writer.Folder,
            },
            cancellationToken).ConfigureAwait(false);

        if (_options.WriteCsv || set.Manifest.Csv == true)
        {
            await writer.WriteCsvAsync(_store.ReadResultsAsync(run, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        if (_options.WriteDocumentFiles)
        {
            await writer.WriteDocumentFilesAsync(_store.ReadResultsAsync(run, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        // Gone already when another worker finished the set and died before archiving its run.
        if (Path.Exists(set.Path))
        {
            MoveToProcessed(set, run);
        }

        await _store.SetStateAsync(run, DocumentSetState.Archived, cancellationToken).ConfigureAwait(false);
        Log.SetFinished(_logger, set.Name, totals.Total, totals.Succeeded, totals.Failed, totals.Skipped, totals.InputTokens + totals.OutputTokens, totals.Cost);
    }

    private void MoveToProcessed(DocumentSet set, DocumentSetCheckpoint run)
    {
        var folder = _options.ProcessedPath ?? Path.Combine(_options.InboxPath, ".processed");
        Directory.CreateDirectory(folder);
        var extension = set.IsJsonl ? ".jsonl" : string.Empty;
        var name = RunName(set.Name, run);
        var destination = Path.Combine(folder, name + extension);
        for (var copy = 2; Path.Exists(destination); copy++)
        {
            destination = Path.Combine(folder, $"{name}-{copy}{extension}");
        }

        if (set.IsJsonl)
        {
            File.Move(set.Path, destination);
            if (set.ManifestPath is { } manifest && File.Exists(manifest))
            {
                File.Move(manifest, Path.ChangeExtension(destination, ".set.json"));
            }
        }
        else
        {
            Directory.Move(set.Path, destination);
        }
    }

    /// <summary>The folder name of a run's output and processed set: the set's name, then <c>NAME.run2</c>, <c>NAME.run3</c>, ...</summary>
    private static string RunName(string setName, DocumentSetCheckpoint run) =>
        run.RunNumber == 1 ? setName : string.Create(CultureInfo.InvariantCulture, $"{setName}.run{run.RunNumber}");

    private bool TryGetProfile(string name, out AgentProfile profile)
    {
        if (_options.Profiles.TryGetValue(name, out var configured))
        {
            profile = configured;
            return true;
        }

        profile = new AgentProfile();
        return _options.Profiles.Count == 0 && string.Equals(name, DocumentWorkerOptions.DefaultProfileName, StringComparison.OrdinalIgnoreCase);
    }

    private bool IsDeferred(string setName)
    {
        if (!_deferred.TryGetValue(setName, out var deferral))
        {
            return false;
        }

        if (_timeProvider.GetTimestamp() < deferral.Until)
        {
            return true;
        }

        _deferred.Remove(setName);
        return false;
    }

    /// <summary>Whether a set is put off only because other workers hold its last documents or are finishing it.</summary>
    private bool IsWaitingForOthers(string setName) => _deferred.TryGetValue(setName, out var deferral) && !deferral.Failed;

    private void Defer(string setName, Exception error)
    {
        Log.SetFaulted(_logger, setName, error.GetType().Name, _options.SetRetryDelay, error);
        DeferFor(setName, _options.SetRetryDelay, failed: true);
    }

    private void DeferFor(string setName, TimeSpan delay, bool failed) =>
        _deferred[setName] = (_timeProvider.GetTimestamp() + (long)(delay.TotalSeconds * _timeProvider.TimestampFrequency), failed);

    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        using var poll = new CancellationTokenSource(_options.PollInterval, _timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
        try
        {
            await _wake.Reader.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll interval passed: scan anyway, in case a notification was missed.
        }
    }

    private FileSystemWatcher? Watch(string inbox)
    {
        try
        {
            var watcher = new FileSystemWatcher(inbox) { IncludeSubdirectories = false };
            watcher.Created += (_, _) => _wake.Writer.TryWrite(true);
            watcher.Renamed += (_, _) => _wake.Writer.TryWrite(true);
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            Log.WatchUnavailable(_logger, ex.Message, _options.PollInterval);
            return null;
        }
    }
}
