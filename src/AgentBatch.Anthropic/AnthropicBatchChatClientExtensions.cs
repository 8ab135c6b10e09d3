using Anthropic;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Attaches <see cref="AnthropicFaultClassifier"/> to an Anthropic client, so a batch reads its errors.</summary>
public static class AnthropicBatchChatClientExtensions
{
    /// <summary>Returns the client as an <see cref="IChatClient"/> for <paramref name="model"/> that carries the Anthropic fault classifier, ready for <c>ChatAgent</c> or a <c>UseAgentBatch()</c> pipeline.</summary>
    /// <param name="client">The Anthropic client; build it with <c>MaxRetries = 0</c>, since AgentBatch retries.</param>
    /// <param name="model">The model id to request, such as <c>claude-sonnet-4-5</c>.</param>
    /// <returns>
    /// The chat client: the client's own <c>AsIChatClient(model)</c> with the classifier, and the client's Message Batches
    /// (<see cref="AnthropicProviderBatchClient"/>) for batches run with <see cref="BatchExecution.ProviderBatch"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="model"/> is empty or white space.</exception>
    /// <remarks>
    /// The chat client talks through a copy of <paramref name="client"/> (<c>WithOptions</c>) whose handler chain lets the
    /// classifier read the wait an error response asks for (<c>retry-after</c>); the client itself is left as it was. A
    /// client with handlers of its own is used as it is (its handlers can belong to one chain only): add
    /// <see cref="AnthropicFaultClassifier.CreateRetryAfterHandler"/> to its <c>ClientOptions.Handlers</c> yourself, or a
    /// retry waits the batch's backoff instead.
    /// </remarks>
    public static IChatClient AsBatchChatClient(this IAnthropicClient client, string model)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var classifier = AnthropicFaultClassifier.Default;
        var recording = client.Handlers.Count == 0
            ? client.WithOptions(options => options with { Handlers = [classifier.CreateRetryAfterHandler()] })
            : client;
        return recording.AsIChatClient(model).AsBuilder()
            .UseFaultClassifier(classifier)
            .UseProviderBatches(new AnthropicProviderBatchClient(client))
            .Build();
    }

    /// <summary>Adds a layer that carries the Anthropic fault classifier, for a pipeline over an Anthropic client.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="classifier">The classifier; <see langword="null"/> for <see cref="AnthropicFaultClassifier.Default"/>.</param>
    /// <returns>The <paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Add it anywhere below <c>UseAgentBatch()</c> (the AgentBatch layer asks the clients below it for the classifier).
    /// For the <c>retry-after</c> wait to be read, the Anthropic client needs the classifier's
    /// <see cref="AnthropicFaultClassifier.CreateRetryAfterHandler"/> in its <c>ClientOptions.Handlers</c>;
    /// <see cref="AsBatchChatClient"/> does both.
    /// </remarks>
    public static ChatClientBuilder UseAnthropicFaults(this ChatClientBuilder builder, AnthropicFaultClassifier? classifier = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseFaultClassifier(classifier ?? AnthropicFaultClassifier.Default);
    }
}
