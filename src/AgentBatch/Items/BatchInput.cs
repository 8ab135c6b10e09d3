using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>What one item asks of the agent: a text, or messages (text, images, data or file content, a prepared conversation), and the item's own cancellation.</summary>
/// <remarks>
/// <para>
/// An input map returns one: a <see cref="string"/>, a <see cref="ChatMessage"/> or an array or list of them converts to it
/// implicitly, so <c>doc =&gt; doc.Text</c> and <c>img =&gt; new ChatMessage(ChatRole.User, [new TextContent("Describe it."), new DataContent(img.Bytes, "image/png")])</c>
/// both work as input maps.
/// </para>
/// <para>
/// Only text inputs can share a grouped request (<see cref="BatchOptions.MaxItemsPerRequest"/>); an item whose input is
/// messages runs in a request of its own. <see cref="WithCancellation"/> gives an item a token of its own: cancelling it
/// cancels that item alone (it ends <see cref="BatchItemStatus.Canceled"/>), whatever the rest of the batch does.
/// </para>
/// </remarks>
public readonly struct BatchInput : IEquatable<BatchInput>
{
    private readonly string? _text;
    private readonly IReadOnlyList<ChatMessage>? _messages;

    /// <summary>Initializes a new instance of the <see cref="BatchInput"/> struct with a text, sent as one user message.</summary>
    /// <param name="text">The text.</param>
    public BatchInput(string text)
    {
        _text = text;
        _messages = null;
        CancellationToken = default;
    }

    /// <summary>Initializes a new instance of the <see cref="BatchInput"/> struct with messages, sent after the agent's instructions and initial messages.</summary>
    /// <param name="messages">The messages, copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    public BatchInput(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        _text = null;
        _messages = [.. messages];
        CancellationToken = default;
    }

    private BatchInput(string? text, IReadOnlyList<ChatMessage>? messages, CancellationToken cancellationToken)
    {
        _text = text;
        _messages = messages;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets a value indicating whether the input is a text (which may share a grouped request), not messages.</summary>
    public bool IsText => _messages is null;

    /// <summary>Gets the text, or <see langword="null"/> when the input is messages.</summary>
    public string? Text => _text;

    /// <summary>Gets the item's own cancellation token; <see cref="CancellationToken.None"/> when it has none.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets a value indicating whether there is nothing to send: no text, white space only, or no message with any content.</summary>
    public bool IsEmpty => _messages is null
        ? string.IsNullOrWhiteSpace(_text)
        : _messages.Count == 0 || _messages.All(static m => m is null || m.Contents.Count == 0);

    /// <summary>Converts a text to an input.</summary>
    /// <param name="text">The text.</param>
    public static implicit operator BatchInput(string text) => new(text);

    /// <summary>Converts one message to an input.</summary>
    /// <param name="message">The message.</param>
    public static implicit operator BatchInput(ChatMessage message) => new(message is null ? [] : [message]);

    /// <summary>Converts messages to an input.</summary>
    /// <param name="messages">The messages.</param>
    public static implicit operator BatchInput(ChatMessage[] messages) => new(messages ?? []);

    /// <summary>Converts messages to an input.</summary>
    /// <param name="messages">The messages.</param>
    public static implicit operator BatchInput(List<ChatMessage> messages) => new(messages ?? []);

    /// <summary>Compares two inputs.</summary>
    /// <param name="left">The first input.</param>
    /// <param name="right">The second input.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public static bool operator ==(BatchInput left, BatchInput right) => left.Equals(right);

    /// <summary>Compares two inputs.</summary>
    /// <param name="left">The first input.</param>
    /// <param name="right">The second input.</param>
    /// <returns><see langword="true"/> when they differ.</returns>
    public static bool operator !=(BatchInput left, BatchInput right) => !left.Equals(right);

    /// <summary>Makes an input from a text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The input.</returns>
    public static BatchInput FromText(string text) => new(text);

    /// <summary>Makes an input from messages.</summary>
    /// <param name="messages">The messages.</param>
    /// <returns>The input.</returns>
    public static BatchInput FromMessages(IEnumerable<ChatMessage> messages) => new(messages);

    /// <summary>Returns this input with a cancellation token of the item's own.</summary>
    /// <param name="cancellationToken">Cancels this item alone.</param>
    /// <returns>The input with the token.</returns>
    public BatchInput WithCancellation(CancellationToken cancellationToken) => new(_text, _messages, cancellationToken);

    /// <summary>Gets the messages the agent is sent for this input: the messages themselves, or the text as one user message.</summary>
    /// <returns>The messages.</returns>
    public IReadOnlyList<ChatMessage> ToMessages() => _messages ?? [new ChatMessage(ChatRole.User, _text ?? string.Empty)];

    /// <inheritdoc />
    public bool Equals(BatchInput other) =>
        string.Equals(_text, other._text, StringComparison.Ordinal) && ReferenceEquals(_messages, other._messages) && CancellationToken == other.CancellationToken;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BatchInput other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_text, _messages, CancellationToken);

    /// <inheritdoc />
    public override string ToString() => _messages is null ? _text ?? string.Empty : $"{_messages.Count} message(s)";
}
