using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>
/// The chat-pipeline layer through which a batch sees each model call of the item running on the current flow:
/// it counts attempts, records usage and applies the batch's per-call policies.
/// </summary>
/// <remarks>Outside a batch (no current item) it is a pass-through, so an agent works the same on its own.</remarks>
internal sealed class BatchCallChatClient : DelegatingChatClient
{
    public BatchCallChatClient(IChatClient innerClient)
        : base(innerClient)
    {
    }

    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var item = BatchItemContext.Current;
        return item is null
            ? base.GetResponseAsync(messages, options, cancellationToken)
            : item.Pipeline.GetResponseAsync(InnerClient, messages, options, item, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var item = BatchItemContext.Current;
        return item is null
            ? base.GetStreamingResponseAsync(messages, options, cancellationToken)
            : item.Pipeline.GetStreamingResponseAsync(InnerClient, messages, options, item, cancellationToken);
    }
}
