using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>
/// The AgentBatch layer of a chat pipeline: the one route by which every model call of every batch item reaches the
/// batch's per-call policy (<see cref="ModelCallPolicy"/>), streamed or not.
/// </summary>
/// <remarks>
/// <para>
/// It reads the item from <see cref="BatchItemContext.Current"/>, which the batch sets for every item it runs, and takes
/// a turn from the current agent run (<see cref="AgentRun"/>) when there is one. Outside a batch it passes calls
/// straight through (after the turn check), so an agent works the same on its own.
/// </para>
/// <para>
/// It must sit below any function-invocation layer (so each round trip of a tool loop is its own call) and below any
/// caching layer (so a reply served from the cache is not an attempt, spends nothing and is not paced): the builder
/// extension refuses a pipeline that has either below it.
/// </para>
/// </remarks>
internal sealed class BatchCallChatClient : DelegatingChatClient
{
    // The provider's reader of errors, from the client below: the one piece of the provider the batch needs.
    private readonly ModelFaultClassifier? _classifier;

    // The provider's batch API, when the client below offers it: where a call goes in the provider batch lane.
    private readonly ProviderBatchClient? _batchClient;

    public BatchCallChatClient(IChatClient innerClient)
        : base(innerClient)
    {
        _classifier = innerClient.GetService<ModelFaultClassifier>();
        _batchClient = innerClient.GetService<ProviderBatchClient>();
    }

    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (item, run) = BatchItemContext.CurrentScope();
        run?.TakeTurn();
        if (item?.Policy is not { } policy)
        {
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        return NeedsLink(item, cancellationToken)
            ? LinkedAsync(policy, messages, options, item, cancellationToken)
            : policy.GetResponseAsync(InnerClient, messages, options, item, _classifier, _batchClient, Effective(item, cancellationToken));
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (item, run) = BatchItemContext.CurrentScope();
        run?.TakeTurn();
        if (item?.Policy is not { } policy)
        {
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }

        return NeedsLink(item, cancellationToken)
            ? LinkedStreamAsync(policy, messages, options, item, cancellationToken)
            : policy.GetStreamingResponseAsync(InnerClient, messages, options, item, _classifier, _batchClient, Effective(item, cancellationToken));
    }

    // A call runs under the caller's token, bounded by the item's: an agent that passes no token, or one of its own,
    // still stops with its item (batch stop, item timeout).
    private static bool NeedsLink(BatchItemContext item, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled && item.CancellationToken.CanBeCanceled && cancellationToken != item.CancellationToken;

    private static CancellationToken Effective(BatchItemContext item, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken : item.CancellationToken;

    private async Task<ChatResponse> LinkedAsync(
        ModelCallPolicy policy, IEnumerable<ChatMessage> messages, ChatOptions? options, BatchItemContext item, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(item.CancellationToken, cancellationToken);
        return await policy.GetResponseAsync(InnerClient, messages, options, item, _classifier, _batchClient, linked.Token).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> LinkedStreamAsync(
        ModelCallPolicy policy,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        BatchItemContext item,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(item.CancellationToken, cancellationToken);
        await foreach (var update in policy.GetStreamingResponseAsync(InnerClient, messages, options, item, _classifier, _batchClient, linked.Token).ConfigureAwait(false))
        {
            yield return update;
        }
    }
}
