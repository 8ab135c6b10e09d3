using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Attaches <see cref="OpenAIFaultClassifier"/> to an OpenAI or Azure OpenAI chat client, so a batch reads its errors.</summary>
public static class OpenAIBatchChatClientExtensions
{
    /// <summary>Returns the client as an <see cref="IChatClient"/> that carries the OpenAI fault classifier, ready for <c>ChatAgent</c> or a <c>UseAgentBatch()</c> pipeline.</summary>
    /// <param name="chatClient">The OpenAI (or Azure OpenAI) chat client; build it with <c>RetryPolicy = new ClientRetryPolicy(0)</c>, since AgentBatch retries.</param>
    /// <returns>The chat client.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <see langword="null"/>.</exception>
    public static IChatClient AsBatchChatClient(this global::OpenAI.Chat.ChatClient chatClient)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return chatClient.AsIChatClient().AsBuilder().UseFaultClassifier(OpenAIFaultClassifier.Default).Build();
    }

    /// <summary>
    /// Returns a chat client for <paramref name="model"/> that carries the OpenAI fault classifier and the client's Batch API
    /// (<see cref="OpenAIProviderBatchClient"/>): live calls as <c>GetChatClient(model).AsBatchChatClient()</c>, and with
    /// <see cref="BatchOptions.Execution"/> set to <see cref="BatchExecution.ProviderBatch"/> the same calls through a provider batch.
    /// </summary>
    /// <param name="client">The OpenAI (or Azure OpenAI) client; build it with <c>RetryPolicy = new ClientRetryPolicy(0)</c>, since AgentBatch retries.</param>
    /// <param name="model">The model (for Azure OpenAI, the deployment).</param>
    /// <param name="batchOptions">The batch endpoint and limits; <see langword="null"/> for OpenAI's.</param>
    /// <returns>The chat client.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="model"/> is <see langword="null"/>.</exception>
    public static IChatClient AsBatchChatClient(this global::OpenAI.OpenAIClient client, string model, OpenAIProviderBatchOptions? batchOptions = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(model);
        return client.GetChatClient(model).AsIChatClient().AsBuilder()
            .UseFaultClassifier(OpenAIFaultClassifier.Default)
            .UseProviderBatches(new OpenAIProviderBatchClient(client, batchOptions))
            .Build();
    }

    /// <summary>Adds a layer that offers <paramref name="client"/>'s Batch API to a pipeline, for the provider batch lane.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="client">The OpenAI (or Azure OpenAI) client of the pipeline's account.</param>
    /// <param name="batchOptions">The batch endpoint and limits; <see langword="null"/> for OpenAI's.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="client"/> is <see langword="null"/>.</exception>
    /// <remarks>Add it anywhere below <c>UseAgentBatch()</c>. Live calls pass through it unchanged.</remarks>
    public static ChatClientBuilder UseOpenAIBatches(this ChatClientBuilder builder, global::OpenAI.OpenAIClient client, OpenAIProviderBatchOptions? batchOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(client);
        return builder.UseProviderBatches(new OpenAIProviderBatchClient(client, batchOptions));
    }

    /// <summary>Adds a layer that carries the OpenAI fault classifier, for a pipeline over an OpenAI or Azure OpenAI client.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="classifier">The classifier; <see langword="null"/> for <see cref="OpenAIFaultClassifier.Default"/>.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>Add it anywhere below <c>UseAgentBatch()</c> (the AgentBatch layer asks the clients below it for the classifier).</remarks>
    public static ChatClientBuilder UseOpenAIFaults(this ChatClientBuilder builder, OpenAIFaultClassifier? classifier = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseFaultClassifier(classifier ?? OpenAIFaultClassifier.Default);
    }
}
