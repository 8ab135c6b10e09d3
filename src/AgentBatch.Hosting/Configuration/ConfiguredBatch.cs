using Microsoft.Extensions.AI;

namespace AgentBatch.Hosting;

/// <summary>A batch as the host configured it: the runner, the batch's options and the chat client its agents call.</summary>
/// <remarks>Returned by <see cref="IAgentBatchFactory.Create(string)"/>; each call returns new options, so changing them changes no other caller's.</remarks>
public sealed class ConfiguredBatch
{
    /// <summary>Initializes a new instance of the <see cref="ConfiguredBatch"/> class.</summary>
    /// <param name="name">The batch's name; empty for the default batch.</param>
    /// <param name="runner">The runner.</param>
    /// <param name="chatClient">The chat client the batch's agents call.</param>
    /// <param name="options">The batch's options.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public ConfiguredBatch(string name, BatchRunner runner, IChatClient chatClient, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        Runner = runner;
        ChatClient = chatClient;
        Options = options;
    }

    /// <summary>Gets the batch's name; empty for the default batch.</summary>
    public string Name { get; }

    /// <summary>Gets the runner.</summary>
    public BatchRunner Runner { get; }

    /// <summary>Gets the chat client the batch's agents call: the <see cref="IChatClient"/> keyed by the batch's name, or the unkeyed one for the default batch.</summary>
    public IChatClient ChatClient { get; }

    /// <summary>Gets the batch's options, bound from its configuration section and validated; pass them to the runner.</summary>
    public BatchOptions Options { get; }
}
