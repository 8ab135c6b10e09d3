using AgentBatch;
using AgentBatch.Internal;

namespace Microsoft.Extensions.AI;

/// <summary>Extends <see cref="ChatClientBuilder"/> with a provider batch client, for the provider batch lane.</summary>
public static class ProviderBatchChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a layer that offers <paramref name="client"/> as the pipeline's <see cref="ProviderBatchClient"/>, so that a batch
    /// run with <see cref="BatchExecution.ProviderBatch"/> submits this pipeline's calls through it.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="client">The provider's batch client, for the same provider and account as the pipeline's own client.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <remarks>Add it anywhere below <c>UseAgentBatch()</c>: the AgentBatch layer asks the clients below it. Live calls pass through it unchanged.</remarks>
    public static ChatClientBuilder UseProviderBatches(this ChatClientBuilder builder, ProviderBatchClient client)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        return builder.Use(inner => new ServiceChatClient(inner, client));
    }
}
