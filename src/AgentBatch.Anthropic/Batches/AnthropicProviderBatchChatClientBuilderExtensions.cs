using Anthropic;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Extends <see cref="ChatClientBuilder"/> with Anthropic's Message Batches, for the provider batch lane.</summary>
public static class AnthropicProviderBatchChatClientBuilderExtensions
{
    /// <summary>Adds a layer that offers <paramref name="client"/>'s Message Batches to a pipeline, so that a batch run with <see cref="BatchExecution.ProviderBatch"/> submits its calls there.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="client">The Anthropic client of the pipeline's account.</param>
    /// <param name="batchOptions">The limits; <see langword="null"/> for Anthropic's.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="client"/> is <see langword="null"/>.</exception>
    /// <remarks>Add it anywhere below <c>UseAgentBatch()</c>. Live calls pass through it unchanged.</remarks>
    public static ChatClientBuilder UseAnthropicBatches(this ChatClientBuilder builder, IAnthropicClient client, AnthropicProviderBatchOptions? batchOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        return builder.UseProviderBatches(new AnthropicProviderBatchClient(client, batchOptions));
    }
}
