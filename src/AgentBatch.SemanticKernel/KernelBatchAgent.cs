using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace AgentBatch;

/// <summary>An <see cref="IBatchAgent"/> over a Semantic Kernel <see cref="Microsoft.SemanticKernel.Kernel"/>: its chat service is the model and its plugins are the tools.</summary>
/// <remarks>
/// <para>
/// Each clone runs on its own <see cref="Kernel.Clone"/> (so plugins and filters may keep per-item state on it)
/// and its own fresh history. The chat model is the kernel's <see cref="IChatClient"/> service or, failing that,
/// its <see cref="IChatCompletionService"/>. Tool calls are resolved by AgentBatch's own loop, capped by
/// <see cref="ChatAgentOptions.MaxTurns"/>, with every round trip subject to the batch's per-call policies.
/// </para>
/// <para>An instance is not safe for concurrent <see cref="RunAsync"/> calls; distinct clones are.</para>
/// </remarks>
public sealed class KernelBatchAgent : IBatchAgent
{
    private readonly ChatAgentOptions _options;
    private readonly IChatClient _chatClient;
    private readonly ChatAgent _agent;

    /// <summary>Initializes a new instance of the <see cref="KernelBatchAgent"/> class.</summary>
    /// <param name="kernel">The kernel whose chat service and plugins the agent uses.</param>
    /// <param name="options">The agent's options (name, instructions, initial messages, chat options, turns); <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="kernel"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The kernel has neither an <see cref="IChatClient"/> nor an <see cref="IChatCompletionService"/>.</exception>
    public KernelBatchAgent(Kernel kernel, ChatAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);

        _options = options is null ? new ChatAgentOptions() : new ChatAgentOptions(options);
        _chatClient = ResolveChatClient(kernel);
        Kernel = kernel;
        _agent = CreateAgent(kernel, _chatClient, _options, _options.Name);
    }

    private KernelBatchAgent(KernelBatchAgent template, int index)
    {
        _options = template._options;
        _chatClient = template._chatClient;
        Kernel = template.Kernel.Clone();
        _agent = CreateAgent(Kernel, _chatClient, _options, $"{_options.Name}-{index}");
    }

    /// <inheritdoc />
    public string Name => _agent.Name;

    /// <summary>Gets this agent's own conversation so far.</summary>
    public IReadOnlyList<ChatMessage> History => _agent.History;

    /// <summary>Gets this agent's kernel: for a clone, its own copy of the template's kernel.</summary>
    public Kernel Kernel { get; }

    /// <inheritdoc />
    public IBatchAgent Clone(int index) => new KernelBatchAgent(this, index);

    /// <inheritdoc />
    public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default) =>
        _agent.RunAsync(input, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Name;

    private static IChatClient ResolveChatClient(Kernel kernel)
    {
        if (kernel.Services.GetService<IChatClient>() is { } chatClient)
        {
            return chatClient;
        }

        if (kernel.Services.GetService<IChatCompletionService>() is { } chatCompletion)
        {
            return chatCompletion.AsChatClient();
        }

        throw new InvalidOperationException(
            "The kernel has no chat model: register an IChatClient or an IChatCompletionService on the kernel's services.");
    }

    private static ChatAgent CreateAgent(Kernel kernel, IChatClient chatClient, ChatAgentOptions template, string name)
    {
        var options = new ChatAgentOptions(template) { Name = name };
        var pluginTools = kernel.Plugins.SelectMany(plugin => plugin.AsAIFunctions(kernel)).ToList();
        if (pluginTools.Count > 0)
        {
            var chatOptions = options.ChatOptions ?? new ChatOptions();
            chatOptions.Tools = [.. chatOptions.Tools ?? [], .. pluginTools];
            options.ChatOptions = chatOptions;
        }

        // The agent is built for exactly this name: clone numbering already happened above.
        return new ChatAgent(chatClient, options);
    }
}
