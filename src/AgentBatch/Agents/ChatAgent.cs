using System.Globalization;
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
    // The template's copy of the options, shared by its clones: nothing changes it after construction.
    private readonly ChatAgentOptions _options;

    // This agent's own copy of the chat options: a chat client may change the instance it is passed.
    private readonly ChatOptions? _chatOptions;
    private readonly IChatClient _pipeline;
    private readonly bool _resolvesTools;
    private readonly List<ChatMessage> _history;
    private readonly int _cloneIndex = -1;
    private string? _name;

    /// <summary>Initializes a new instance of the <see cref="ChatAgent"/> class.</summary>
    /// <param name="chatClient">The model to talk to.</param>
    /// <param name="options">The agent's options, copied at construction; <see langword="null"/> for defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <see langword="null"/>.</exception>
    public ChatAgent(IChatClient chatClient, ChatAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);

        ChatClient = chatClient;
        _options = options is null ? new ChatAgentOptions() : new ChatAgentOptions(options);
        _chatOptions = _options.ChatOptions;
        _name = _options.Name;

        // Tool round trips are counted below the function-invocation loop, so MaxTurns bounds real model calls.
        // Without tools a run is exactly one call, so there is nothing to loop over or count.
        IChatClient pipeline = new BatchCallChatClient(chatClient);
        _resolvesTools = _options.ChatOptions?.Tools is { Count: > 0 };
        if (_resolvesTools)
        {
            pipeline = new FunctionInvokingChatClient(new TurnLimitingChatClient(pipeline)) { MaximumIterationsPerRequest = _options.MaxTurns };
        }

        _pipeline = pipeline;
        _history = CreateInitialHistory(_options, cloneMessages: false);
    }

    private ChatAgent(ChatAgent template, int index)
    {
        // A clone copies what it may change or hand to a chat client (the chat options, the history and its
        // messages) and shares the rest with the template; its name is made when first asked for.
        ChatClient = template.ChatClient;
        _options = template._options;
        _chatOptions = _options.ChatOptions?.Clone();
        _pipeline = template._pipeline;
        _resolvesTools = template._resolvesTools;
        _cloneIndex = index;
        _history = CreateInitialHistory(_options, cloneMessages: true);
    }

    /// <inheritdoc />
    public string Name => _name ??= string.Create(CultureInfo.InvariantCulture, $"{_options.Name}-{_cloneIndex}");

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
    public Task<ChatResponse> RunAsync(string input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return RunCoreAsync(input, item: null, cancellationToken);
    }

    /// <summary>Runs on behalf of a batch item, which sees every model call the run makes.</summary>
    /// <remarks>
    /// Without tools the run is one call, handed to the batch's pipeline directly. With tools the function-invocation
    /// loop sits in between, so the item flows down to the batch layer below it as <see cref="BatchItemContext.Current"/>.
    /// </remarks>
    internal Task<ChatResponse> RunForItemAsync(string input, BatchItemContext item, CancellationToken cancellationToken) =>
        RunCoreAsync(input, item, cancellationToken);

    private async Task<ChatResponse> RunCoreAsync(string input, BatchItemContext? item, CancellationToken cancellationToken)
    {
        _history.Add(new ChatMessage(ChatRole.User, input));
        if (_resolvesTools)
        {
            if (item is not null)
            {
                BatchItemContext.Current = item;
            }

            TurnLimitingChatClient.BeginRun(_options.MaxTurns);
        }

        var response = await (item is null || _resolvesTools
            ? _pipeline.GetResponseAsync(_history, _chatOptions, cancellationToken)
            : item.Pipeline.GetResponseAsync(ChatClient, _history, _chatOptions, item, cancellationToken)).ConfigureAwait(false);
        _history.AddRange(response.Messages);

        if (_resolvesTools && EndsWithUnansweredToolCall(response))
        {
            throw new MaxTurnsExceededException(_options.MaxTurns);
        }

        return response;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static List<ChatMessage> CreateInitialHistory(ChatAgentOptions options, bool cloneMessages)
    {
        var history = new List<ChatMessage>(options.InitialMessages.Count + 3);
        if (!string.IsNullOrEmpty(options.Instructions))
        {
            history.Add(new ChatMessage(ChatRole.System, options.Instructions));
        }

        foreach (var message in options.InitialMessages)
        {
            history.Add(cloneMessages ? message.Clone() : message);
        }

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
