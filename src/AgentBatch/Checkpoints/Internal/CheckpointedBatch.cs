using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>A batch run through a checkpoint: recorded items are answered from the store, the rest run, and each final result is recorded as it completes.</summary>
/// <remarks>
/// <para>
/// The source is read once, in order. An item whose key has an entry is not handed to the runner: its recorded result
/// goes straight to the consumer, at its own index. The others run as one ordinary stream whose indexes are the
/// runner's own; each result is given back its index in the caller's source (and each clone its index) before it is
/// handed on. A final result is recorded before it is handed on, so what the consumer has seen survives a crash.
/// </para>
/// <para>Both producers (the recorded results and the runner's) write into one bounded channel the consumer reads.</para>
/// </remarks>
internal sealed class CheckpointedBatch<TItem, TOutput>
{
    private readonly BatchRunner _runner;
    private readonly IBatchAgent _template;
    private readonly Func<TItem, BatchInput> _inputMap;
    private readonly Func<ChatResponse, TOutput> _outputMap;
    private readonly BatchCheckpoint<TItem> _checkpoint;
    private readonly BatchOptions? _options;
    private readonly string _fingerprint;
    private readonly JsonSerializerOptions _json;
    private readonly ConcurrentDictionary<int, (int Index, string Key)> _running = new();

    public CheckpointedBatch(
        BatchRunner runner, IBatchAgent template, Func<TItem, BatchInput> inputMap, Func<ChatResponse, TOutput> outputMap, BatchCheckpoint<TItem> checkpoint, BatchOptions? options)
    {
        _runner = runner;
        _template = template;
        _inputMap = inputMap;
        _outputMap = outputMap;
        _checkpoint = checkpoint;
        _options = options;
        _fingerprint = BatchFingerprint.Of(template, options, typeof(TOutput), checkpoint.Fingerprint);
        _json = checkpoint.SerializerOptions ?? JsonSerializerOptions.Web;
    }

    public async IAsyncEnumerable<BatchItemResult<TItem, TOutput>> StreamAsync(IAsyncEnumerable<TItem> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var recorded = new Dictionary<string, BatchCheckpointEntry>(StringComparer.Ordinal);
        await foreach (var entry in _checkpoint.Store.ReadAsync(_checkpoint.RunKey, _fingerprint, cancellationToken).ConfigureAwait(false))
        {
            recorded[entry.ItemKey] = entry;
        }

        var channel = Channel.CreateBounded<BatchItemResult<TItem, TOutput>>(
            new BoundedChannelOptions((_options?.MaxConcurrency ?? BatchOptions.DefaultMaxConcurrency) * 2) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = Task.Run(() => PumpAsync(items, recorded, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var result in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
        finally
        {
            if (!run.IsCompleted)
            {
                // Left early: the runner cancels what is in flight, as a stream left early does.
                await stop.CancelAsync().ConfigureAwait(false);
            }

            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task PumpAsync(IAsyncEnumerable<TItem> items, Dictionary<string, BatchCheckpointEntry> recorded, ChannelWriter<BatchItemResult<TItem, TOutput>> writer, CancellationToken cancellationToken)
    {
        try
        {
            var results = _runner.StreamBatchAsync(
                index => _template.Clone(_running.TryGetValue(index, out var item) ? item.Index : index),
                ToRun(items, recorded, writer, cancellationToken),
                _inputMap,
                _outputMap,
                _options,
                cancellationToken);
            await foreach (var result in results.ConfigureAwait(false))
            {
                _running.TryRemove(result.Index, out var item);
                if (result.IsFinal)
                {
                    // Recorded before it is handed on, and even while the batch stops: it was paid for.
                    await _checkpoint.Store.RecordAsync(_checkpoint.RunKey, _fingerprint, Entry(item.Key, result), CancellationToken.None).ConfigureAwait(false);
                }

                await writer.WriteAsync(WithIndex(result, item.Index), cancellationToken).ConfigureAwait(false);
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    /// <summary>The items to run: every one without an entry. Those with one are answered from it here, at their index.</summary>
    private async IAsyncEnumerable<TItem> ToRun(
        IAsyncEnumerable<TItem> items, Dictionary<string, BatchCheckpointEntry> recorded, ChannelWriter<BatchItemResult<TItem, TOutput>> writer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = 0;
        var running = 0;
        await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var key = _checkpoint.ItemKey(item) ?? throw new InvalidOperationException($"The checkpoint's item key is null for item {index}; every item needs a key.");
            if (recorded.TryGetValue(key, out var entry))
            {
                await writer.WriteAsync(Restore(index++, item, entry), cancellationToken).ConfigureAwait(false);
                continue;
            }

            _running[running++] = (index++, key);
            yield return item;
        }
    }

    private BatchCheckpointEntry Entry(string key, BatchItemResult<TItem, TOutput> result)
    {
        JsonElement? output = null;
        if (result.IsSuccess)
        {
            try
            {
                output = JsonSerializer.SerializeToElement(result.Output, _json);
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
            {
                throw new InvalidOperationException(
                    $"The output of item '{key}' ({typeof(TOutput).Name}) cannot be recorded as JSON: {ex.Message} Map replies to a type JSON can hold, or give the checkpoint SerializerOptions that can.", ex);
            }
        }

        return new BatchCheckpointEntry(
            key, result.Status, output, result.Error?.Message, result.Usage?.InputTokenCount ?? 0, result.Usage?.OutputTokenCount ?? 0, result.Cost, result.Attempts);
    }

    private BatchItemResult<TItem, TOutput> Restore(int index, TItem item, BatchCheckpointEntry entry) => new(
        index,
        item,
        entry.Status,
        entry.Output is { } json && entry.Status == BatchItemStatus.Succeeded ? json.Deserialize<TOutput>(_json) : default,
        entry.Status == BatchItemStatus.Succeeded ? null : new RecordedFailureException(entry.Error ?? "An earlier run recorded this item as failed."),
        null,
        0m,
        0,
        TimeSpan.Zero,
        BatchNotSentReason.AlreadyRecorded);

    private static BatchItemResult<TItem, TOutput> WithIndex(BatchItemResult<TItem, TOutput> result, int index) => new(
        index,
        result.Item,
        result.Status,
        result.Output,
        result.Error,
        result.Usage,
        result.Cost,
        result.Attempts,
        result.Duration,
        result.NotSentReason,
        result.FailedOnItsOwn);
}
