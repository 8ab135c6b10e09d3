using System.Runtime.CompilerServices;

namespace AgentBatch.Internal;

/// <summary>Reads a batch's source and starts each item (or group) as soon as the window has room; reports the unread ones when the batch stops.</summary>
/// <remarks>
/// <para>
/// One dispatcher per batch, on one flow: it is the source's only reader and the window's only waiter. Each started
/// item runs on its own flow, hands its result to the ledger, and frees its slot. The dispatcher knows when the last
/// one has ended (<see cref="Completion"/>).
/// </para>
/// <para>
/// A read of the source is never left holding the batch: when the consumer leaves while the source is still waiting for
/// its next item (a queue or a channel), the dispatcher stops waiting at once, and the source is disposed when that read
/// ends, whenever that is.
/// </para>
/// </remarks>
internal sealed class BatchDispatcher<TItem, TOutput>
{
    private readonly BatchOptions _options;
    private readonly ConcurrencyWindow? _window;
    private readonly BatchStop _stop;
    private readonly ItemExecutor<TItem, TOutput> _executor;
    private readonly BatchLedger<TItem, TOutput> _ledger;
    private readonly ITokenCounter _tokenCounter;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly ProviderBatchCoordinator? _lane;
    private readonly TaskCompletionSource _allItemsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending = 1;
    private int _started;
    private Task<bool>? _pendingRead;

    public BatchDispatcher(
        BatchOptions options,
        ConcurrencyWindow? window,
        BatchStop stop,
        ItemExecutor<TItem, TOutput> executor,
        BatchLedger<TItem, TOutput> ledger,
        ITokenCounter tokenCounter,
        Microsoft.Extensions.Logging.ILogger logger,
        ProviderBatchCoordinator? lane = null)
    {
        _logger = logger;
        _lane = lane;
        _options = options;
        _window = window;
        _stop = stop;
        _executor = executor;
        _ledger = ledger;
        _tokenCounter = tokenCounter;
    }

    /// <summary>Gets a task that completes when the dispatcher and every item it started have ended.</summary>
    public Task Completion => _allItemsDone.Task;

    /// <summary>Dispatches the whole source, then reports the unread items when a stop asks for it.</summary>
    public async Task RunAsync(ItemReader<TItem> reader)
    {
        try
        {
            if (reader.KnownCount is { } known)
            {
                _ledger.SetTotal(known);
            }

            if (_options.MaxItemsPerRequest > 1)
            {
                await DispatchGroupsAsync(reader).ConfigureAwait(false);
            }
            else
            {
                await DispatchAsync(reader).ConfigureAwait(false);
            }

            if (_stop.State is { Drain: true } && !_stop.IsAbandoned)
            {
                await DrainAsSkippedAsync(reader).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsAbandoned)
        {
            // The consumer left: nothing more is reported.
        }
        finally
        {
            await CloseAsync(reader).ConfigureAwait(false);

            // The dispatcher starts no more items: in the provider batch lane, what is queued may go once the items wait.
            _lane?.Exit();
            ItemFinished();
        }
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

    private async Task RunItemAsync(int index, TItem item)
    {
        // The item starts on the dispatcher's thread and runs until its first real await (the network call), like a
        // Parallel.ForEachAsync worker: a thread-pool hop here is the largest CPU cost a batch could add per item. The
        // item's context is undone when its async methods return; when its slot is released, the dispatcher goes on on
        // this thread under its own captured context, so nothing leaks either way.
        AgentBatchMetrics.ItemsInFlight(1);

        // In the provider batch lane an item is busy from its start to its end, less the time its calls wait for their batches.
        _lane?.Enter();
        try
        {
            var result = await _executor.RunAsync(index, item).ConfigureAwait(false);
            await _ledger.CompleteAsync(result).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsAbandoned)
        {
            // The sink refused the result because the consumer left or the caller cancelled: nobody is waiting for it.
        }
        finally
        {
            AgentBatchMetrics.ItemsInFlight(-1);
            ReleaseSlot();

            // After the slot is released: the dispatcher starts the next item on this thread first, so the item that
            // ends last is still busy while it does, and the queued calls go out together with the new item's.
            _lane?.Exit();
            ItemFinished();
        }
    }

    private async Task DispatchGroupsAsync(ItemReader<TItem> reader)
    {
        var maxItems = _options.MaxItemsPerRequest;
        var maxTokens = _options.MaxTokensPerRequest;
        var group = new List<GroupMember<TItem>>(maxItems);
        var groupTokens = 0L;

        while (_stop.State is null && await TryReadNextAsync(reader).ConfigureAwait(false))
        {
            var index = _started++;
            GroupMember<TItem> member;
            var solo = false;
            try
            {
                var input = _executor.MapInput(index, reader.Current);

                // Grouping packs texts: an item of messages (images, files, a conversation) runs in a request of its own,
                // and so does one the caller can cancel alone, so that cancelling it abandons only its own request.
                solo = !input.IsText || input.CancellationToken.CanBeCanceled;
                member = new GroupMember<TItem>(index, reader.Current, input, solo ? 0 : _tokenCounter.CountTokens(input.Text!));
                if (!solo && maxTokens is { } limit && GroupedPrompt.FramingTokens(_tokenCounter, 1) + member.Tokens is var alone && alone > limit)
                {
                    throw new InvalidOperationException(
                        $"Batch item {index} needs {alone} tokens in a grouped request, more than MaxTokensPerRequest ({limit}); it was not sent.");
                }
            }
            catch (Exception ex)
            {
                await _ledger.CompleteAsync(_executor.FailedBeforeStart(index, reader.Current, ex)).ConfigureAwait(false);
                continue;
            }

            if (solo)
            {
                // Outside the try: an item that StartGroupAsync completed must not be completed again as a failure.
                await StartGroupAsync([member]).ConfigureAwait(false);
                continue;
            }

            var full = group.Count == maxItems
                || (maxTokens is { } budget && GroupedPrompt.FramingTokens(_tokenCounter, group.Count + 1) + groupTokens + member.Tokens > budget);
            if (group.Count > 0 && full)
            {
                if (!await StartGroupAsync(group).ConfigureAwait(false))
                {
                    group = [member];
                    break;
                }

                group = new List<GroupMember<TItem>>(maxItems);
                groupTokens = 0;
            }

            group.Add(member);
            groupTokens += member.Tokens;
        }

        if (group.Count > 0)
        {
            // Started, or reported skipped when the batch stopped first.
            await StartGroupAsync(group).ConfigureAwait(false);
        }
    }

    /// <summary>Starts a group when a slot frees up; <see langword="false"/> (and the group reported skipped) when the batch stopped first.</summary>
    private async Task<bool> StartGroupAsync(List<GroupMember<TItem>> group)
    {
        if (_stop.State is not null || !await AcquireSlotAsync().ConfigureAwait(false))
        {
            foreach (var member in group)
            {
                await _ledger.CompleteAsync(_executor.Skipped(member.Index, member.Item)).ConfigureAwait(false);
            }

            return false;
        }

        Interlocked.Increment(ref _pending);
        _ = RunGroupAsync(group);
        return true;
    }

    private async Task RunGroupAsync(List<GroupMember<TItem>> group)
    {
        // Busy from the moment it is started, before it yields to a flow of its own.
        _lane?.Enter();

        // A group parses and shares out a reply: worth its own flow, so the dispatcher packs the next group meanwhile.
        await Task.Yield();
        AgentBatchMetrics.ItemsInFlight(group.Count);
        try
        {
            foreach (var result in await _executor.RunGroupAsync(group).ConfigureAwait(false))
            {
                await _ledger.CompleteAsync(result).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsAbandoned)
        {
        }
        finally
        {
            AgentBatchMetrics.ItemsInFlight(-group.Count);
            ReleaseSlot();
            _lane?.Exit();
            ItemFinished();
        }
    }

    /// <summary>Reads the rest of the source after a stop, reporting each item skipped, so that every item has its result.</summary>
    private async Task DrainAsSkippedAsync(ItemReader<TItem> reader)
    {
        while (await TryReadNextAsync(reader).ConfigureAwait(false))
        {
            await _ledger.CompleteAsync(_executor.Skipped(_started++, reader.Current)).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for room in the window; <see langword="false"/>, holding nothing, once the batch stops.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AcquireSlotAsync()
    {
        if (_window is not null && !await WaitForSlotAsync(_window).ConfigureAwait(false))
        {
            return false;
        }

        if (_stop.State is not null)
        {
            ReleaseSlot();
            return false;
        }

        return true;
    }

    /// <summary>Waits for a slot; in the provider batch lane a dispatcher that has to wait stops counting as busy meanwhile, so the queued calls can go.</summary>
    private ValueTask<bool> WaitForSlotAsync(ConcurrencyWindow window)
    {
        var wait = window.WaitAsync(_stop.InFlightToken);
        return wait.IsCompleted || _lane is null ? wait : WaitIdleAsync(_lane, wait);

        static async ValueTask<bool> WaitIdleAsync(ProviderBatchCoordinator lane, ValueTask<bool> wait)
        {
            lane.Exit();
            try
            {
                return await wait.ConfigureAwait(false);
            }
            finally
            {
                lane.Enter();
            }
        }
    }

    /// <summary>
    /// Moves to the next item; <see langword="false"/> at the end of the source (the total is then known), when the batch
    /// is cancelled or abandoned, or when the source throws (the batch faults).
    /// </summary>
    private async ValueTask<bool> TryReadNextAsync(ItemReader<TItem> reader)
    {
        try
        {
            var move = reader.MoveNextAsync();
            bool more;
            if (move.IsCompleted)
            {
                more = move.Result;
            }
            else
            {
                // A source waiting for its next item must not hold the batch when its consumer leaves.
                var read = move.AsTask();
                try
                {
                    more = await read.WaitAsync(_stop.AbandonToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsAbandoned && !read.IsCompleted)
                {
                    _pendingRead = read;
                    return false;
                }
            }

            if (!more)
            {
                _ledger.SetTotal(_started);
            }

            return more;
        }
        catch (OperationCanceledException) when (_stop.InFlightToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            // What was read is accounted for; what the source could not give is unknown. In-flight items finish.
            _stop.SetFault(ex, new StopState(BatchStopReason.Faulted, Drain: false, SkipReason: null, CancelInFlight: false, BatchNotSentReason.BatchFaulted));
            Log.BatchFaulted(_logger, ex.GetType().Name);
            return false;
        }
    }

    private async ValueTask CloseAsync(ItemReader<TItem> reader)
    {
        if (_pendingRead is { } read)
        {
            // The source is still waiting for an item nobody wants: dispose it when that read ends, without waiting here.
            _ = read.ContinueWith(
                static (_, state) => ((ItemReader<TItem>)state!).DisposeAsync().AsTask(),
                reader,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default).Unwrap().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return;
        }

        try
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _stop.SetFault(ex, new StopState(BatchStopReason.Faulted, Drain: false, SkipReason: null, CancelInFlight: false, BatchNotSentReason.BatchFaulted));
        }
    }

    private void ReleaseSlot() => _window?.Release();

    private void ItemFinished()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _allItemsDone.TrySetResult();
        }
    }
}
