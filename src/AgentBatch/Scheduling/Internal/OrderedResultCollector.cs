namespace AgentBatch.Internal;

/// <summary>Keeps results by input index, whatever order they complete in.</summary>
internal sealed class OrderedResultCollector<TItem, TOutput> : IBatchResultSink<TItem, TOutput>
{
    private readonly Lock _gate = new();
    private BatchItemResult<TOutput>?[] _results;
    private int _count;

    public OrderedResultCollector(int? expectedCount)
    {
        _results = new BatchItemResult<TOutput>?[Math.Max(expectedCount ?? 16, 1)];
    }

    public ValueTask AddAsync(BatchItemResult<TItem, TOutput> result, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (result.Index >= _results.Length)
            {
                Array.Resize(ref _results, Math.Max(_results.Length * 2, result.Index + 1));
            }

            _results[result.Index] = result;
            _count = Math.Max(_count, result.Index + 1);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Returns the results in input order. Every index below the highest one seen must have a result.</summary>
    public BatchItemResult<TOutput>[] ToArray()
    {
        lock (_gate)
        {
            var ordered = new BatchItemResult<TOutput>[_count];
            for (var i = 0; i < _count; i++)
            {
                ordered[i] = _results[i] ?? throw new InvalidOperationException($"Internal error: batch item {i} has no result.");
            }

            return ordered;
        }
    }
}
