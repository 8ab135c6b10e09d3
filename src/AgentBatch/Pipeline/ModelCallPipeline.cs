using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>What happens around every single model call a batch item makes.</summary>
/// <remarks>
/// One instance per batch. Every model call of every item passes through <see cref="GetResponseAsync"/>,
/// which is where per-call policies (budget reservation, pacing, retries) sit, so that they apply to each
/// round trip of a tool loop and not just to an item as a whole.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Per-batch policies (budget, pacing, retries) become instance state; callers already hold an instance.")]
internal sealed class ModelCallPipeline
{
    public static ModelCallPipeline PassThrough { get; } = new();

    public async Task<ChatResponse> GetResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        CancellationToken cancellationToken)
    {
        item.RecordCall();
        item.RecordAttempt();
        var response = await innerClient.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        item.RecordUsage(response.Usage, cost: 0m);
        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IChatClient innerClient,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        item.RecordCall();
        item.RecordAttempt();
        await foreach (var update in innerClient.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            foreach (var content in update.Contents)
            {
                if (content is UsageContent usage)
                {
                    item.RecordUsage(usage.Details, cost: 0m);
                }
            }

            yield return update;
        }
    }
}
