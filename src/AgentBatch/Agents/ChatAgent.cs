using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>An <see cref="IBatchAgent"/> over any <see cref="IChatClient"/>: instructions, few-shot turns, chat options and tools.</summary>
/// <remarks>
/// <para>
/// The agent resolves tool calls itself (Microsoft.Extensions.AI function invocation) for at most
/// <see cref="ChatAgentOptions.MaxTurns"/> model calls per input, so pass a chat client without its own
/// function-invocation layer.
/// </para>
/// <para>
/// Clones share the chat client (one connection pool for a batch) and the tool instances; each has its own
/// history and its own copy of the options. An instance is not safe for concurrent <see cref="RunAsync"/> calls;
/// distinct clones are.
/// </para>
/// </remarks>
public sealed class ChatAgent : IBatchAgent
{
    private readonly ChatAgentOptions _options;
    private readonly IChatClient _pipeline;
    private readonly bool _resolvesTools;
    private readonly List<ChatMessage> _history;

    /// <summary>Initializes a new instance of the <see cref="ChatAgent"/> class.</summary>
    /// <param name="chatClient">The model to talk to.</param>
    /// <param name="options">The agent's options, copied at construction; <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <see langword="null"/>.</exception>
    public ChatAgent(IChatClient chatClient, ChatAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);

        ChatClient = chatClient;
        _options = options is null ? new ChatAgentOptions() : new ChatAgentOptions(options);
        Name = _options.Name;

        // Tool round trips are counted below the function-invocation loop, so MaxTurns bounds real model calls.
        // Without tools a run is exactly one call, so there is nothing to loop over or count.
        IChatClient pipeline = new BatchCallChatClient(chatClient);
        _resolvesTools = _options.ChatOptions?.Tools is { Count: > 0 };
        if (_resolvesTools)
        {
            pipeline = new FunctionInvokingChatClient(new TurnLimitingChatClient(pipeline)) { MaximumIterationsPerRequest = _options.MaxTurns };
        }

        _pipeline = pipeline;
        _history = CreateInitialHistory(_options);
    }

    private ChatAgent(ChatAgent template, int index)
    {
        ChatClient = template.ChatClient;
        _options = new ChatAgentOptions(template._options);
        _pipeline = template._pipeline;
        _resolvesTools = template._resolvesTools;
        Name = $"{template._options.Name}-{index}";
        _history = CreateInitialHistory(_options);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>Gets the chat client this agent and its clones talk to.</summary>
    public IChatClient ChatClient { get; }

    /// <summary>Gets a copy of the options this agent was built with.</summary>
    public ChatAgentOptions Options => new(_options);

    /// <inheritdoc />
    public IBatchAgent Clone(int index) => new ChatAgent(this, index);

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    /// <exception cref="MaxTurnsExceededException">The model still wanted tool calls after <see cref="ChatAgentOptions.MaxTurns"/> model calls.</exception>
    public async Task<ChatResponse> RunAsync(string input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);

        _history.Add(new ChatMessage(ChatRole.User, input));
        if (_resolvesTools)
        {
            TurnLimitingChatClient.BeginRun(_options.MaxTurns);
        }

        var response = await _pipeline.GetResponseAsync(_history, _options.ChatOptions, cancellationToken).ConfigureAwait(false);
        _history.AddRange(response.Messages);

        if (_resolvesTools && EndsWithUnansweredToolCall(response))
        {
            throw new MaxTurnsExceededException(_options.MaxTurns);
        }

        return response;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static List<ChatMessage> CreateInitialHistory(ChatAgentOptions options)
    {
        var history = new List<ChatMessage>(options.InitialMessages.Count + 3);
        if (!string.IsNullOrEmpty(options.Instructions))
        {
            history.Add(new ChatMessage(ChatRole.System, options.Instructions));
        }

        history.AddRange(options.InitialMessages);
        return history;
    }

    private static bool EndsWithUnansweredToolCall(ChatResponse response)
    {
        if (response.Messages.Count == 0)
        {
            return false;
        }

        var last = response.Messages[^1];
        return last.Role == ChatRole.Assistant && last.Contents.Any(static c => c is FunctionCallContent);
    }
}
