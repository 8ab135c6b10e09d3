using System.Threading.Channels;

namespace AgentBatch.Internal;

/// <summary>Hands results to a streaming consumer; a full channel holds the producing item, which is the backpressure.</summary>
internal sealed class ChannelResultSink<TOutput> : IBatchResultSink<TOutput>
{
    private readonly ChannelWriter<BatchItemResult<TOutput>> _writer;

    public ChannelResultSink(ChannelWriter<BatchItemResult<TOutput>> writer)
    {
        _writer = writer;
    }

    public ValueTask AddAsync(BatchItemResult<TOutput> result, CancellationToken cancellationToken) =>
        _writer.WriteAsync(result, cancellationToken);
}
