namespace AgentBatch.Internal;

/// <summary>Where a running batch hands each item's result as it completes.</summary>
internal interface IBatchResultSink<TItem, TOutput>
{
    ValueTask AddAsync(BatchItemResult<TItem, TOutput> result, CancellationToken cancellationToken);
}
