using AgentBatch.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>Extends <see cref="ChatClientBuilder"/> with AgentBatch's per-call accounting layer.</summary>
public static class AgentBatchChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the layer through which a <c>BatchRunner</c> counts attempts, records usage and applies its per-call
    /// policies (budgets, pacing, retries) to every model call of a custom <c>IBatchAgent</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <see cref="AgentBatch.ChatAgent"/> adds this layer itself. Add it to the pipeline of a custom agent
    /// below any function-invocation layer, so that each round trip of a tool loop is seen as its own call.
    /// Outside a batch the layer passes calls straight through.
    /// </remarks>
    public static ChatClientBuilder UseAgentBatch(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(static inner => new BatchCallChatClient(inner));
    }
}
