using System.Threading.Channels;

namespace AgentBatch.Internal;

/// <summary>Hands results to a streaming consumer; a full channel holds the producing item, which is the backpressure.</summary>
internal sealed class ChannelResultSink<TItem, TOutput> : IBatchResultSink<TItem, TOutput>
{
    private readonly ChannelWriter<BatchItemResult<TItem, TOutput>> _writer;

    public ChannelResultSink(ChannelWriter<BatchItemResult<TItem, TOutput>> writer)
    {
        _writer = writer;
    }

    public ValueTask AddAsync(BatchItemResult<TItem, TOutput> result, CancellationToken cancellationToken) =>
        _writer.WriteAsync(result, cancellationToken);
}
