using Microsoft.Extensions.Logging;

namespace AgentBatch.Internal;

/// <summary>Submitting, polling and reading provider batches, and answering their calls.</summary>
internal sealed partial class ProviderBatchCoordinator
{
    /// <summary>Transient failures of polls in a row a batch tolerates before its calls fail with the last one.</summary>
    private const int MaxPollFailures = 10;

    /// <summary>Under the lock: hands a queue to a submission of its own.</summary>
    private void StartSubmission(Chunk chunk)
    {
        var calls = chunk.Calls.Where(static c => c.Waiting && c.Request is not null).ToList();
        if (calls.Count == 0)
        {
            return;
        }

        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ab-{_runTag}-{Guid.NewGuid():N}")[..40];
        var batch = new OpenBatch(chunk.Client, key, _timeProvider.GetTimestamp(), calls.Count);
        foreach (var call in calls)
        {
            call.Batch = batch;
            batch.Calls[call.CustomId] = call;
        }

        _open.Add(batch);

        // Watched apart from its submission, so nothing of the submission (the request bodies) lives on while the batch runs.
        Track(Task.Run(async () =>
        {
            if (await SubmitAsync(batch, calls).ConfigureAwait(false))
            {
                await WatchAsync(batch, pollAtOnce: false).ConfigureAwait(false);
            }
        }));
    }

    /// <summary>Records, creates and saves a batch; <see langword="true"/> once it exists at the provider, to be watched.</summary>
    private async Task<bool> SubmitAsync(OpenBatch batch, List<PendingCall> calls)
    {
        var closing = _closing.Token;
        var submission = new ProviderBatchSubmission(batch.Key, _options.RunId, calls.Select(static c => c.Request!).ToList());
        try
        {
            if (_options.Store is { } store && _options.RunId is { } runId)
            {
                var record = new ProviderBatchRecord(
                    batch.Key, batch.Client.ProviderName, _timeProvider.GetUtcNow(), calls.Select(static c => new ProviderBatchRecordedRequest(c.CustomId, c.RequestKey)).ToList());
                await store.AddAsync(runId, record, closing).ConfigureAwait(false);
            }

            var created = await CreateAsync(batch, submission, closing).ConfigureAwait(false);
            lock (_gate)
            {
                batch.Id = created.Id;
                batch.Status = created;
            }

            // The batch exists and is paid for: from here on it is watched and its calls answered, whatever else fails.
            batch.Created.TrySetResult(true);
            if (_options.Store is { } recordStore && _options.RunId is { } recordRun)
            {
                // Its id is saved even when the run is ending, so a restart finds it. A store that fails now leaves the
                // record without its id: OpenAI's batch is still found by its metadata, and this run goes on reading it.
                try
                {
                    await recordStore.SetBatchIdAsync(recordRun, batch.Key, created.Id, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ProviderBatchIdNotSaved(_logger, created.Id, ex.GetType().Name);
                }
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                var bytes = submission.Requests.Sum(static r => r.Size);
                Log.ProviderBatchSubmitted(_logger, batch.Client.ProviderName, created.Id, calls.Count, bytes);
            }

            AgentBatchMetrics.ProviderBatchSubmitted(calls.Count);
        }
        catch (Exception ex) when (!closing.IsCancellationRequested)
        {
            batch.Created.TrySetResult(false);
            Log.ProviderBatchSubmitFailed(_logger, batch.Client.ProviderName, calls.Count, ex.GetType().Name);
            FailWaiting(batch, ex);
            return false;
        }
        catch (OperationCanceledException)
        {
            // The run ended: its items stopped waiting already.
            batch.Created.TrySetResult(false);
            return false;
        }
        finally
        {
            // A submitted batch holds no bodies: its results are read by custom id.
            foreach (var call in calls)
            {
                call.ReleaseRequest();
            }
        }

        return true;
    }

    /// <summary>Creates the batch, trying again after a transient failure; before each retry, looks for a batch the failed attempt may have created.</summary>
    private async Task<ProviderBatchStatus> CreateAsync(OpenBatch batch, ProviderBatchSubmission submission, CancellationToken cancellationToken)
    {
        var since = _timeProvider.GetUtcNow() - TimeSpan.FromMinutes(5);
        var wait = _options.PollInterval;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await batch.Client.SubmitAsync(submission, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < Math.Max(2, _maxAttempts) && !cancellationToken.IsCancellationRequested
                && TransientFaults.IsTransient(ex, TransientFaults.Read(ex, batch.Client.FaultClassifier, out _)))
            {
                await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
                wait = Longer(wait);
                if (await batch.Client.FindSubmittedAsync(submission.Key, since, cancellationToken).ConfigureAwait(false) is { } found)
                {
                    return await batch.Client.GetStatusAsync(found, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Polls a batch until it ends, with a wait that doubles while nothing changes, then answers its calls.</summary>
    private async Task WatchAsync(OpenBatch batch, bool pollAtOnce)
    {
        var closing = _closing.Token;
        var wait = _options.PollInterval;
        var lastDone = -1;
        var failures = 0;
        try
        {
            if (!pollAtOnce)
            {
                await Task.Delay(wait, _timeProvider, closing).ConfigureAwait(false);
            }

            ProviderBatchStatus status;
            while (true)
            {
                try
                {
                    status = await batch.Client.GetStatusAsync(batch.Id!, closing).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception ex) when (!closing.IsCancellationRequested
                    && ++failures < MaxPollFailures && TransientFaults.IsTransient(ex, TransientFaults.Read(ex, batch.Client.FaultClassifier, out _)))
                {
                    Log.ProviderBatchPollFailed(_logger, batch.Id!, ex.GetType().Name);
                    wait = Longer(wait);
                    await Task.Delay(wait, _timeProvider, closing).ConfigureAwait(false);
                    continue;
                }

                lock (_gate)
                {
                    batch.Status = status;
                }

                ReportProgress();
                if (status.HasEnded)
                {
                    break;
                }

                wait = status.Done != lastDone ? _options.PollInterval : Longer(wait);
                lastDone = status.Done;
                await Task.Delay(wait, _timeProvider, closing).ConfigureAwait(false);
            }

            await CollectAsync(batch, closing).ConfigureAwait(false);
            Log.ProviderBatchEnded(_logger, batch.Id!, status.State, status.Succeeded, status.Errored, status.Expired, status.Canceled);
            AgentBatchMetrics.ProviderBatchEnded(status.State);
            EndBatch(batch, status);
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // The run ended; the batch runs on at the provider.
        }
        catch (Exception ex)
        {
            Log.ProviderBatchPollFailed(_logger, batch.Id ?? batch.Key, ex.GetType().Name);
            FailWaiting(batch, ex);
        }
    }

    /// <summary>Answers the calls of an ended batch from its results.</summary>
    /// <remarks>
    /// The collection counts as busy until every result is delivered: an item answered first (retried, or making its next
    /// tool call) must not have its new request submitted alone before the others of the batch are answered too.
    /// </remarks>
    private async Task CollectAsync(OpenBatch batch, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            await foreach (var result in batch.Client.GetResultsAsync(batch.Id!, cancellationToken).ConfigureAwait(false))
            {
                Deliver(batch, result);
            }
        }
        finally
        {
            Exit();
        }
    }

    private TimeSpan Longer(TimeSpan wait) => wait * 2 < _options.MaxPollInterval ? wait * 2 : _options.MaxPollInterval;

    /// <summary>Answers the call a result is for; a result of a re-attached batch nobody has claimed yet is kept for its call.</summary>
    private void Deliver(OpenBatch batch, ProviderBatchResult result)
    {
        AgentBatchMetrics.ProviderRequestEnded(result.Outcome);
        PendingCall? call;
        lock (_gate)
        {
            if (batch.Calls.Remove(result.CustomId, out call))
            {
                Resume(call);
            }
            else if (batch.Unclaimed?.Remove(result.CustomId) == true)
            {
                (batch.Kept ??= new(StringComparer.Ordinal))[result.CustomId] = result;
            }
        }

        if (call is not null)
        {
            Complete(call, result, batch);
        }
    }

    /// <summary>A batch's results are read: calls without one fail with what happened to the batch, and it stops counting as open.</summary>
    private void EndBatch(OpenBatch batch, ProviderBatchStatus status)
    {
        List<PendingCall> missing;
        lock (_gate)
        {
            batch.Ended = true;
            batch.Status = status;
            missing = [.. batch.Calls.Values];
            batch.Calls.Clear();
            foreach (var call in missing)
            {
                Resume(call);
            }

            _open.Remove(batch);
        }

        foreach (var call in missing)
        {
            call.Completion.TrySetException(NotAnswered(batch, status));
        }

        ReportProgress();
    }

    /// <summary>Fails every call still waiting for a batch (it could not be submitted, or polled) with <paramref name="error"/>.</summary>
    private void FailWaiting(OpenBatch batch, Exception error)
    {
        List<PendingCall> waiting;
        lock (_gate)
        {
            waiting = [.. batch.Calls.Values];
            batch.Calls.Clear();
            batch.Ended = true;
            batch.Failure = error;
            foreach (var call in waiting)
            {
                Resume(call);
            }

            _open.Remove(batch);
        }

        foreach (var call in waiting)
        {
            call.Completion.TrySetException(error);
        }

        ReportProgress();
    }

    /// <summary>Under the lock: a call is answered, so its item is busy again before it resumes.</summary>
    private void Resume(PendingCall call)
    {
        call.Waiting = false;
        _busy++;
    }

    private static void Complete(PendingCall call, ProviderBatchResult result, OpenBatch batch)
    {
        switch (result.Outcome)
        {
            case ProviderBatchOutcome.Succeeded:
                call.Completion.TrySetResult(result.Response!);
                break;
            case ProviderBatchOutcome.Errored:
                call.Completion.TrySetException(result.Error!);
                break;
            default:
                var state = batch.Status?.State ?? ProviderBatchState.Completed;
                call.Completion.TrySetException(new ProviderBatchItemException(
                    result.Outcome == ProviderBatchOutcome.Expired
                        ? $"The request expired in provider batch {batch.Id}: its completion window closed before it ran. It was not billed."
                        : $"The request was cancelled with provider batch {batch.Id} before it ran. It was not billed.",
                    batch.Id,
                    result.Outcome,
                    state));
                break;
        }
    }

    /// <summary>Why a call whose batch ended has no result: the batch expired, was cancelled, or failed, or the provider wrote none.</summary>
    private static ProviderBatchItemException NotAnswered(OpenBatch batch, ProviderBatchStatus status) => status.State switch
    {
        ProviderBatchState.Expired => new($"The request expired in provider batch {batch.Id}: its completion window closed before it ran. It was not billed.", batch.Id, ProviderBatchOutcome.Expired, status.State),
        ProviderBatchState.Cancelled => new($"The request was cancelled with provider batch {batch.Id} before it ran. It was not billed.", batch.Id, ProviderBatchOutcome.Canceled, status.State),
        ProviderBatchState.Failed => new($"Provider batch {batch.Id} failed as a whole: {status.Error ?? "the provider gave no reason"}.", batch.Id, ProviderBatchOutcome.Errored, status.State),
        _ => new($"Provider batch {batch.Id} ended ({status.State}) without a result for the request.", batch.Id, ProviderBatchOutcome.Errored, status.State),
    };

    /// <summary>Reports the provider's counts of the open batches.</summary>
    private void ReportProgress()
    {
        ProviderBatchProgress progress;
        lock (_gate)
        {
            long oldest = long.MaxValue;
            int requests = 0, done = 0, failed = 0;
            foreach (var batch in _open)
            {
                oldest = Math.Min(oldest, batch.SubmittedAt);
                var status = batch.Status;
                requests += status?.RequestCount ?? batch.RequestCount;
                done += status?.Done ?? 0;
                failed += status is null ? 0 : status.Errored + status.Expired + status.Canceled;
            }

            progress = new ProviderBatchProgress(_open.Count, requests, done, failed, _open.Count == 0 ? TimeSpan.Zero : _timeProvider.GetElapsedTime(oldest));
        }

        _report(progress);
    }

    /// <summary>Ends the lane when the run has ended: with <see cref="ProviderBatchOptions.CancelOnCancellation"/>, a cancelled run cancels the batches it left; then polling stops.</summary>
    /// <param name="cancelled">Whether the run was cancelled (its items stopped waiting).</param>
    public async Task CloseAsync(bool cancelled)
    {
        List<OpenBatch> left;
        Task[] work;
        lock (_gate)
        {
            _closed = true;
            left = _open.Where(static b => !b.Ended && (b.Abandoned || b.Calls.Count > 0)).ToList();
            work = [.. _work];
        }

        if (cancelled && _options.CancelOnCancellation)
        {
            foreach (var batch in left)
            {
                // A batch being created is cancelled once it exists: until then there is nothing to cancel.
                if (!await batch.Created.Task.ConfigureAwait(false))
                {
                    continue;
                }

                try
                {
                    await batch.Client.CancelAsync(batch.Id!, CancellationToken.None).ConfigureAwait(false);
                    Log.ProviderBatchCancelled(_logger, batch.Id!);
                }
                catch (Exception ex)
                {
                    Log.ProviderBatchCancelFailed(_logger, batch.Id!, ex.GetType().Name);
                }
            }
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(work).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Each task reports its own failure to its calls; closing only waits for them to stop.
        }
    }
}
