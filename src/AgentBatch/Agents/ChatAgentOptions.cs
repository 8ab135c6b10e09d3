using System.ComponentModel.DataAnnotations;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Options that shape a <see cref="ChatAgent"/> and every clone made from it.</summary>
/// <remarks>
/// Setters accept any value; the rules are declared on the properties (<see cref="RangeAttribute"/>,
/// <see cref="RequiredAttribute"/>) and checked by <see cref="Validate()"/>.
/// </remarks>
public sealed class ChatAgentOptions
{
    /// <summary>The default agent name.</summary>
    public const string DefaultName = "agent";

    /// <summary>The default value of <see cref="MaxTurns"/>.</summary>
    public const int DefaultMaxTurns = 10;

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
        Name = other.Name;
        MaxTurns = other.MaxTurns;
        Instructions = other.Instructions;
        ChatOptions = other.ChatOptions?.Clone();
        InitialMessages = new List<ChatMessage>(other.InitialMessages.Count);
        foreach (var message in other.InitialMessages)
        {
            InitialMessages.Add(message.Clone());
        }
    }

    /// <summary>Gets or sets the agent's name. Clones are named <c>"{Name}-{index}"</c>.</summary>
    /// <value>The default value is <c>"agent"</c>. Required: not empty or white space.</value>
    [Required]
    public string Name { get; set; } = DefaultName;

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
    /// <value>The default value is 10. Between 1 and 1,000.</value>
    /// <remarks>An item that needs more calls fails with <see cref="MaxTurnsExceededException"/>.</remarks>
    [Range(1, 1_000)]
    public int MaxTurns { get; set; } = DefaultMaxTurns;

    /// <summary>Checks every setting against its declared rule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Exactly one setting is out of its range; <see cref="ArgumentException.ParamName"/> is the property's name
    /// (<c>MaxTurns</c>) and the message names the range and the value.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// <see cref="Name"/> alone is <see langword="null"/>, empty or white space (<see cref="ArgumentException.ParamName"/>
    /// <c>Name</c>); or several settings are invalid, all listed in the message, with
    /// <see cref="ArgumentException.ParamName"/> the first of them.
    /// </exception>
    public void Validate()
    {
        var context = new ValidationContext(this);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, context, results, validateAllProperties: true))
        {
            // The attributes' own messages omit the value: describe each failure with it.
            throw OptionsValidation.CreateException([.. OptionsValidation.CheckProperties(this)]);
        }
    }
}
