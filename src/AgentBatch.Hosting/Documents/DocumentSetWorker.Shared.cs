using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentBatch.Hosting.Internal;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting;

/// <summary>Sets shared with other workers through an <see cref="IDocumentLeaseStore"/>: documents leased one worker at a time, one worker finishing each set.</summary>
/// <remarks>
/// <para>
/// The set's documents are taken into the store by the first worker to open its run; from then on every worker reads
/// them from the store, not from the folder, so what one worker sends is exactly what another would. A worker leases a
/// few documents at a time, in order, records each final result under its lease, and gives back what did not finish.
/// While other workers hold the set's last leases it waits on them, and takes over any whose worker died.
/// </para>
/// <para>
/// No worker writes <c>results.jsonl</c> while the set runs: when every document has a result, the one worker the store
/// lets finish the set writes its outputs whole from the store, one line per document, then archives it.
/// </para>
/// </remarks>
public sealed partial class DocumentSetWorker
{
    private async Task<SetOutcome> ProcessSharedSetAsync(IDocumentLeaseStore store, DocumentSet set, CancellationToken stoppingToken)
    {
        // Moved away a moment ago by the worker that finished it.
        if (!Path.Exists(set.Path))
        {
            return SetOutcome.Finished;
        }

        var run = await store.OpenSetAsync(set.Name, SetIdentity.Of(set), stoppingToken).ConfigureAwait(false);
        var profileName = set.Manifest.Profile ?? DocumentWorkerOptions.DefaultProfileName;
        var problem = Problem(set, profileName, out var profile);
        if (problem is null && run.State == DocumentSetState.Running)
        {
            await store.AddDocumentsAsync(run, () => _reader.Read(set).Select(static d => new SetDocument(d.Key, d.Name, d.Text, d.Problem)), stoppingToken).ConfigureAwait(false);
            Log.SetStarted(_logger, set.Name, run.RunNumber, set.Manifest.Priority, profileName, 0);
            // The set's own lane, as on the single-worker path: a set that says "live" runs live whatever the batch's default.
            var options = WithLane(await SetOptionsAsync(run, stoppingToken).ConfigureAwait(false), set, run);

            // Once the batch stops (a spent cap, a refused key, an open circuit), what it reads it only skips: stop leasing,
            // or the documents this worker skips and gives back would go round the workers that are stopping too.
            using var batchStopped = new CancellationTokenSource();

            // The leases handed to the batch and not yet recorded or given back: if the pass ends without settling some
            // (a database error while recording), they are given back, or this worker's heartbeat would hold them for good.
            var open = new ConcurrentDictionary<DocumentLease, byte>(ReferenceEqualityComparer.Instance);
            SetRunOutcome outcome;
            try
            {
                outcome = await _setBatch.RunAsync(
                    set.Name,
                    profileName,
                    profile,
                    options,
                    LeaseAsync(store, run, ClaimSize(options), open, batchStopped.Token, stoppingToken),
                    static lease => new DocumentItem(lease.Document.Key, lease.Document.Name, lease.Document.Text, lease.Document.Problem),
                    async (lease, result) =>
                    {
                        if (!await store.RecordAsync(lease, result, CancellationToken.None).ConfigureAwait(false))
                        {
                            Log.LeaseLost(_logger, set.Name, lease.Document.Name);
                        }

                        open.TryRemove(lease, out _);
                    },
                    async (lease, item) =>
                    {
                        if (!item.WasSent)
                        {
                            batchStopped.Cancel();
                        }

                        await store.ReleaseAsync(lease, item.Status == BatchItemStatus.Canceled ? TimeSpan.Zero : _options.SetRetryDelay, CancellationToken.None).ConfigureAwait(false);
                        open.TryRemove(lease, out _);
                    },
                    _abort.Token,
                    stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseUnsettledAsync(store, open.Keys).ConfigureAwait(false);
            }

            if (KeepsSetOpen(set, outcome) is { } unfinished)
            {
                return unfinished;
            }
        }
        else if (problem is not null)
        {
            Log.SetRefused(_logger, set.Name, problem);
        }

        if (!await store.TryBeginFinishAsync(run, stoppingToken).ConfigureAwait(false))
        {
            // Another worker finishes it, or documents given back after an outage wait for their retry.
            var progress = await store.GetProgressAsync(run, stoppingToken).ConfigureAwait(false);
            var waiting = progress.Waiting > 0;
            DeferFor(set.Name, waiting ? _options.SetRetryDelay : _options.PollInterval, failed: waiting);
            return SetOutcome.Deferred;
        }

        using var writer = new SetOutputWriter(Path.Combine(_options.OutputPath, RunName(set.Name, run)));
        var totals = await writer.RebuildAsync(store.ReadResultsAsync(run, CancellationToken.None), CancellationToken.None).ConfigureAwait(false);
        await FinishAsync(set, run, profileName, writer, totals, problem, CancellationToken.None).ConfigureAwait(false);
        return SetOutcome.Finished;
    }

    /// <summary>A few documents at a time, no more than the batch can start, so a worker holds few leases it has not begun.</summary>
    private static int ClaimSize(BatchOptions options) => Math.Clamp(options.MaxConcurrency ?? 32, 1, 32);

    /// <summary>
    /// Yields the run's documents as this worker leases them, until none is left without a result or a live lease; while
    /// other workers hold leases, waits and tries again, so a dead worker's documents are taken over here.
    /// </summary>
    private async IAsyncEnumerable<DocumentLease> LeaseAsync(
        IDocumentLeaseStore store,
        DocumentSetCheckpoint run,
        int claimSize,
        ConcurrentDictionary<DocumentLease, byte> handedOut,
        CancellationToken batchStopped,
        [EnumeratorCancellation] CancellationToken stoppingToken)
    {
        var claimed = new Queue<DocumentLease>();
        var recheck = store.LeaseDuration / 3 < _options.PollInterval ? store.LeaseDuration / 3 : _options.PollInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested && !batchStopped.IsCancellationRequested)
            {
                if (claimed.Count == 0)
                {
                    foreach (var lease in await store.ClaimAsync(run, claimSize, CancellationToken.None).ConfigureAwait(false))
                    {
                        claimed.Enqueue(lease);
                    }
                }

                if (claimed.Count > 0)
                {
                    var next = claimed.Dequeue();
                    handedOut.TryAdd(next, 0);
                    yield return next;
                    continue;
                }

                var progress = await store.GetProgressAsync(run, CancellationToken.None).ConfigureAwait(false);
                if (progress.Pending == 0 && progress.Leased == 0)
                {
                    yield break;
                }

                if (!await DelayAsync(recheck, stoppingToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
        finally
        {
            // Leased but never started (the host stops, or the batch stopped reading): free at once for any worker.
            while (claimed.TryDequeue(out var unstarted))
            {
                await store.ReleaseAsync(unstarted, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Gives back, best effort, the leases a pass handed to its batch and never settled; what cannot be given back now runs out with its lease once the worker stops.</summary>
    private async Task ReleaseUnsettledAsync(IDocumentLeaseStore store, ICollection<DocumentLease> unsettled)
    {
        foreach (var lease in unsettled)
        {
            try
            {
                await store.ReleaseAsync(lease, _options.SetRetryDelay, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SetFaulted(_logger, lease.Run.SetName, ex.GetType().Name, _options.SetRetryDelay, ex);
                return;
            }
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
