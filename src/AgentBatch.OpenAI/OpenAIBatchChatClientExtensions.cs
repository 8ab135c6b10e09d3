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
