using System.Globalization;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>An <see cref="IBatchAgent"/> over any <see cref="IChatClient"/>: instructions, few-shot turns, chat options and tools.</summary>
/// <remarks>
/// <para>
/// The agent resolves tool calls itself (Microsoft.Extensions.AI function invocation) for at most
/// <see cref="ChatAgentOptions.MaxTurns"/> model calls per input. Its pipeline is built with <see cref="ChatClientBuilder"/>:
/// the function-invocation loop (when there are tools), then the AgentBatch layer (<c>UseAgentBatch()</c>, unless the
/// client has one already), then the client. So every model call of a run, each round trip of its tool loop included,
/// passes the batch's per-call policy. The client must not resolve tools itself (a <see cref="FunctionInvokingChatClient"/>
/// in it would hide round trips from <c>MaxTurns</c> and the attempt counts); a client with a caching layer must have the
/// AgentBatch layer below the cache (so a cached reply is not an attempt).
/// </para>
/// <para>
/// Clones share the chat pipeline (one connection pool for a batch) and the tool instances; each has its own
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
    /// <exception cref="ArgumentException">
    /// <paramref name="chatClient"/> resolves tool calls itself (it has a <see cref="FunctionInvokingChatClient"/>), or caches
    /// replies above any AgentBatch layer; or an option is out of range.
    /// </exception>
    public ChatAgent(IChatClient chatClient, ChatAgentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);

        ChatClient = chatClient;
        _options = options is null ? new ChatAgentOptions() : new ChatAgentOptions(options);
        _options.Validate();
        _chatOptions = _options.ChatOptions;
        _name = _options.Name;
        _resolvesTools = _options.ChatOptions?.Tools is { Count: > 0 };
        _pipeline = BuildPipeline(chatClient, _resolvesTools ? _options.MaxTurns : null);
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

    /// <summary>Gets this agent's own conversation so far: instructions, initial messages, inputs and replies.</summary>
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
    public Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Count == 1)
        {
            _history.Add(input[0]);
        }
        else
        {
            _history.AddRange(input);
        }

        return _resolvesTools ? RunToolLoopAsync(cancellationToken) : RunOnceAsync(cancellationToken);
    }

    private async Task<ChatResponse> RunOnceAsync(CancellationToken cancellationToken)
    {
        // Without tools a run is exactly one call: there are no turns to count.
        var response = await _pipeline.GetResponseAsync(_history, _chatOptions, cancellationToken).ConfigureAwait(false);
        _history.AddRange(response.Messages);
        return response;
    }

    private async Task<ChatResponse> RunToolLoopAsync(CancellationToken cancellationToken)
    {
        // Started inside this async method, the run's turn counter flows down to the AgentBatch layer below the tool loop
        // and is gone when the run returns.
        BatchItemContext.BeginAgentRun(_options.MaxTurns);
        var response = await _pipeline.GetResponseAsync(_history, _chatOptions, cancellationToken).ConfigureAwait(false);
        _history.AddRange(response.Messages);
        return EndsWithUnansweredToolCall(response) ? throw new MaxTurnsExceededException(_options.MaxTurns) : response;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The agent's pipeline: the tool loop (when it has tools), then the AgentBatch layer, then the client.</summary>
    private static IChatClient BuildPipeline(IChatClient chatClient, int? maxTurns)
    {
        if (chatClient.GetService<FunctionInvokingChatClient>() is not null)
        {
            throw new ArgumentException(
                "The chat client resolves tool calls itself (it has a FunctionInvokingChatClient, from UseFunctionInvocation()). ChatAgent resolves them, "
                + "so that MaxTurns and the attempt counts see every round trip: pass the client without UseFunctionInvocation().",
                nameof(chatClient));
        }

        var hasBatchLayer = chatClient.GetService<BatchCallChatClient>() is not null;
        if (!hasBatchLayer && chatClient.GetService<CachingChatClient>() is not null)
        {
            throw new ArgumentException(
                "The chat client caches replies, and ChatAgent would put the AgentBatch layer above the cache, where a cached reply would count as an "
                + "attempt and a cost. Add .UseAgentBatch() after .UseDistributedCache(...) when you build the client.",
                nameof(chatClient));
        }

        var builder = new ChatClientBuilder(chatClient);
        if (maxTurns is { } turns)
        {
            // The loop may run up to MaxTurns iterations; the AgentBatch layer below it stops the run at MaxTurns calls (AgentRun).
            builder.UseFunctionInvocation(configure: loop => loop.MaximumIterationsPerRequest = turns);
        }

        if (!hasBatchLayer)
        {
            builder.UseAgentBatch();
        }

        return builder.Build();
    }

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
