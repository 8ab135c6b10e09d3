using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Options that shape a <see cref="ChatAgent"/> and every clone made from it.</summary>
public sealed class ChatAgentOptions
{
    /// <summary>The default agent name.</summary>
    public const string DefaultName = "agent";

    /// <summary>The default value of <see cref="MaxTurns"/>.</summary>
    public const int DefaultMaxTurns = 10;

    private string _name = DefaultName;
    private int _maxTurns = DefaultMaxTurns;

    /// <summary>Initializes a new instance of the <see cref="ChatAgentOptions"/> class with default values.</summary>
    public ChatAgentOptions()
    {
        InitialMessages = [];
    }

    /// <summary>Initializes a new instance of the <see cref="ChatAgentOptions"/> class as a deep copy of <paramref name="other"/>.</summary>
    /// <param name="other">The options to copy. <see cref="ChatOptions"/> and the initial messages are cloned; tool instances are shared.</param>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is <see langword="null"/>.</exception>
    public ChatAgentOptions(ChatAgentOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _name = other._name;
        _maxTurns = other._maxTurns;
        Instructions = other.Instructions;
        ChatOptions = other.ChatOptions?.Clone();
        InitialMessages = new List<ChatMessage>(other.InitialMessages.Count);
        foreach (var message in other.InitialMessages)
        {
            InitialMessages.Add(message.Clone());
        }
    }

    /// <summary>Gets or sets the agent's name. Clones are named <c>"{Name}-{index}"</c>.</summary>
    /// <value>The default value is <c>"agent"</c>.</value>
    /// <exception cref="ArgumentException">The value is <see langword="null"/>, empty or white space.</exception>
    public string Name
    {
        get => _name;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _name = value;
        }
    }

    /// <summary>Gets or sets the instructions sent as the system message at the start of every clone's history.</summary>
    /// <value>The default value is <see langword="null"/>: no system message.</value>
    public string? Instructions { get; set; }

    /// <summary>Gets or sets the chat options for every model call: model id, temperature, maximum output tokens, tools, response format.</summary>
    /// <value>The default value is <see langword="null"/>: the chat client's defaults.</value>
    /// <remarks>Each clone receives its own copy, made with <see cref="ChatOptions.Clone"/>; tool instances are shared.</remarks>
    public ChatOptions? ChatOptions { get; set; }

    /// <summary>Gets the few-shot turns every clone starts with, after the instructions and before the item's input.</summary>
    public IList<ChatMessage> InitialMessages { get; }

    /// <summary>Gets or sets the most model calls one item may make, tool-call round trips included.</summary>
    /// <value>The default value is 10.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    /// <remarks>An item that needs more calls fails with <see cref="MaxTurnsExceededException"/>.</remarks>
    public int MaxTurns
    {
        get => _maxTurns;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxTurns = value;
        }
    }
}
