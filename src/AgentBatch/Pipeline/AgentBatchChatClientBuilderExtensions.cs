using AgentBatch;
using AgentBatch.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>Extends <see cref="ChatClientBuilder"/> with the AgentBatch layer and the layer that carries a provider's fault classifier.</summary>
public static class AgentBatchChatClientBuilderExtensions
{
    /// <summary>Gets a value indicating whether a chat client (or a pipeline) has the AgentBatch layer in it.</summary>
    /// <param name="client">The chat client.</param>
    /// <returns><see langword="true"/> when a call through <paramref name="client"/> passes the AgentBatch layer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <see langword="null"/>.</exception>
    public static bool HasAgentBatchLayer(this IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetService<BatchCallChatClient>() is not null;
    }

    /// <summary>Adds a layer that carries a provider's <see cref="ModelFaultClassifier"/>, so that a batch reads that provider's errors (status, the wait asked for, a used-up quota) and removes secrets from them.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="classifier">The provider's classifier, such as AgentBatch.OpenAI's or AgentBatch.Anthropic's.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="classifier"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Add it anywhere below <see cref="UseAgentBatch"/>: the AgentBatch layer asks the clients below it for the classifier
    /// when the pipeline is built. Calls pass through unchanged. The provider packages' own extensions
    /// (<c>UseOpenAIFaults()</c>, <c>UseAnthropicFaults()</c>) add this layer with their classifier.
    /// </remarks>
    public static ChatClientBuilder UseFaultClassifier(this ChatClientBuilder builder, ModelFaultClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(classifier);
        return builder.Use(inner => new ServiceChatClient(inner, classifier));
    }

    /// <summary>
    /// Adds the layer through which a <c>BatchRunner</c> applies its per-call policy (caps, pacing, the context-window
    /// check, retries, the attempt timeout, adaptive concurrency) and counts attempts and usage, for every model call of
    /// the item running on the current flow, streamed or not.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// <see cref="AgentBatch.ChatAgent"/> adds this layer itself unless its client has one already. For a custom agent,
    /// add it after (below) <c>UseFunctionInvocation()</c>, so each round trip of a tool loop is its own call, and after
    /// (below) any caching layer such as <c>UseDistributedCache()</c>, so a reply served from the cache is not counted as
    /// an attempt and costs nothing. Building a pipeline with either below this layer throws.
    /// </para>
    /// <para>Outside a batch the layer passes calls straight through.</para>
    /// </remarks>
    public static ChatClientBuilder UseAgentBatch(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(static inner =>
        {
            if (inner.GetService<FunctionInvokingChatClient>() is not null)
            {
                throw new InvalidOperationException(
                    "UseAgentBatch() must come after UseFunctionInvocation() in the pipeline (below it), so that each round trip of a tool loop passes the AgentBatch layer as its own call.");
            }

            if (inner.GetService<CachingChatClient>() is not null)
            {
                throw new InvalidOperationException(
                    "UseAgentBatch() must come after the caching layer (UseDistributedCache()) in the pipeline (below it), so that a reply served from the cache is not counted as an attempt and costs nothing.");
            }

            return new BatchCallChatClient(inner);
        });
    }
}
