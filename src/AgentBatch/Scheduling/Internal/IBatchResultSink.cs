namespace AgentBatch.Internal;

/// <summary>Where a running batch hands each item's result as it completes.</summary>
internal interface IBatchResultSink<TOutput>
{
    ValueTask AddAsync(BatchItemResult<TOutput> result, CancellationToken cancellationToken);
}
