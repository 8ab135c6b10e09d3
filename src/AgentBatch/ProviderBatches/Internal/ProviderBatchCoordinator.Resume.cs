namespace AgentBatch.Internal;

/// <summary>A restarted run: calls answered from the batches an earlier run with the same id recorded.</summary>
internal sealed partial class ProviderBatchCoordinator
{
    /// <summary>
    /// Answers a call from a recorded batch when an earlier run submitted the same request: it claims the first unclaimed
    /// recorded request with the same body (so a call retried in a second batch claims that one next), and waits for that
    /// batch; <see langword="false"/> when nothing recorded matches, or the matching batch was never created.
    /// </summary>
    private async ValueTask<bool> TryAttachAsync(ProviderBatchClient client, PendingCall call, CancellationToken cancellationToken)
    {
        RecordedBatch recorded;
        string customId;
        lock (_gate)
        {
            if (!_recorded!.TryGetValue(call.RequestKey, out var slots) || !slots.TryPeek(out var slot)
                || !string.Equals(slot.Batch.Record.Provider, client.ProviderName, StringComparison.Ordinal))
            {
                return false;
            }

            slots.Dequeue();
            (recorded, customId) = slot;
            recorded.Resolution ??= recorded.Record.BatchId is { } known ? Task.FromResult<string?>(known) : ResolveAsync(client, recorded.Record);
        }

        // A batch whose id the earlier run never saved: the provider is asked for it once, for all of its requests.
        if (await recorded.Resolution.WaitAsync(cancellationToken).ConfigureAwait(false) is not { } batchId)
        {
            return false;
        }

        ProviderBatchResult? kept = null;
        OpenBatch batch;
        lock (_gate)
        {
            batch = recorded.Attached ??= Reattach(client, recorded.Record, batchId);
            call.CustomId = customId;
            call.ReleaseRequest();

            // Its result may have come already, while the batch's other results are still being read.
            if (batch.Kept?.Remove(customId, out kept) != true && !batch.Ended)
            {
                batch.Unclaimed!.Remove(customId);
                batch.Calls[customId] = call;
                call.Batch = batch;
                call.Waiting = true;
                _busy--;
                FlushIfQuiet();
                return true;
            }
        }

        // The batch has ended and been read already: the call is answered at once.
        if (kept is not null)
        {
            Complete(call, kept, batch);
        }
        else
        {
            call.Completion.TrySetException(batch.Failure ?? NotAnswered(batch, batch.Status ?? new ProviderBatchStatus(batchId, ProviderBatchState.Completed)));
        }

        return true;
    }

    /// <summary>Under the lock: starts waiting for a recorded batch, polling it at once: it may have ended while no run waited.</summary>
    private OpenBatch Reattach(ProviderBatchClient client, ProviderBatchRecord record, string batchId)
    {
        var batch = new OpenBatch(client, record.Key, _timeProvider.GetTimestamp(), record.Requests.Count)
        {
            Id = batchId,
            Unclaimed = new HashSet<string>(record.Requests.Select(static r => r.CustomId), StringComparer.Ordinal),
        };
        batch.Created.TrySetResult(true);
        _open.Add(batch);
        Log.ProviderBatchReattached(_logger, client.ProviderName, batchId, record.Requests.Count);
        Track(Task.Run(() => WatchAsync(batch, pollAtOnce: true)));
        return batch;
    }

    /// <summary>Asks the provider for the batch of a record saved without its id, and saves the id when found.</summary>
    private async Task<string?> ResolveAsync(ProviderBatchClient client, ProviderBatchRecord record)
    {
        var closing = _closing.Token;
        var found = await client.FindSubmittedAsync(record.Key, record.SubmittedAt - TimeSpan.FromMinutes(5), closing).ConfigureAwait(false);
        if (found is not null && _options.Store is { } store && _options.RunId is { } runId)
        {
            await store.SetBatchIdAsync(runId, record.Key, found, closing).ConfigureAwait(false);
        }

        Log.ProviderBatchResolved(_logger, record.Key, found is not null);
        return found;
    }
}
