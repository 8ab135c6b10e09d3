namespace AgentBatch.Testing;

/// <summary>What the mock server answers to one chat request, in the wire format of the endpoint it came to (OpenAI's or Anthropic's).</summary>
/// <remarks>Build one with the static factory methods, then adjust it with <c>with</c> expressions.</remarks>
public sealed record MockChatReply
{
    /// <summary>Gets the assistant's text, for a normal completion.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the tool calls the assistant makes instead of answering.</summary>
    public IReadOnlyList<MockToolCall> ToolCalls { get; init; } = [];

    /// <summary>Gets the prompt tokens to report; <see langword="null"/> for an estimate from the request size.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Gets the completion tokens to report; <see langword="null"/> for an estimate from the reply size.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>Gets a value indicating whether the reply carries a <c>usage</c> object at all.</summary>
    /// <remarks>
    /// A streamed OpenAI reply sends it as a last chunk with empty <c>choices</c>, and only when the request asks for it
    /// (<c>stream_options.include_usage</c>). An Anthropic reply always has it (in <c>message_start</c> and
    /// <c>message_delta</c> when streamed); without it the Anthropic client cannot read the reply.
    /// </remarks>
    public bool IncludeUsage { get; init; } = true;

    /// <summary>Gets the HTTP status code. Anything but 200 is sent as the provider's error body: OpenAI's <c>{"error":{"message","type","code"}}</c>, Anthropic's <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>Gets the error message for a non-200 reply.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Gets extra response headers, such as <c>retry-after</c> or <c>retry-after-ms</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets how long the server waits before answering: nothing is sent until it has passed, not even the headers of a stream.</summary>
    /// <remarks>It is timed by the server's <see cref="TimeProvider"/> (see <see cref="MockChatServer.Start(Func{MockChatRequest, MockChatReply}?, TimeProvider?)"/>).</remarks>
    public TimeSpan Delay { get; init; }

    /// <summary>Gets a transport fault to answer with instead of a response.</summary>
    public MockFault Fault { get; init; }

    /// <summary>Gets a raw body to send verbatim with <see cref="StatusCode"/>, bypassing the provider's format.</summary>
    public string? RawBody { get; init; }

    /// <summary>Gets the model id reported in the reply; <see langword="null"/> for the requested one.</summary>
    public string? Model { get; init; }

    /// <summary>An assistant answer.</summary>
    /// <param name="text">The answer text.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply Answer(string text) => new() { Text = text };

    /// <summary>Answers every item of a grouped request in the JSON shape AgentBatch asks for, or the single input of an ordinary one.</summary>
    /// <param name="request">The request.</param>
    /// <param name="answer">Maps one item's input to its answer.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply AnswerEach(MockChatRequest request, Func<string, string> answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        var items = request.GroupedItems;
        if (items.Count == 0)
        {
            return Answer(answer(request.LastUserText));
        }

        var answers = items.Select((input, i) => new { item = i + 1, answer = answer(input) });
        return Answer(System.Text.Json.JsonSerializer.Serialize(new { answers }));
    }

    /// <summary>An assistant turn that calls tools instead of answering.</summary>
    /// <param name="calls">The tool calls.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply CallTools(params MockToolCall[] calls) => new() { ToolCalls = calls };

    /// <summary>An error response, in the provider's shape (see <see cref="StatusCode"/>).</summary>
    /// <param name="statusCode">The HTTP status code, such as 429, 503 or Anthropic's 529.</param>
    /// <param name="message">The error message.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply Error(int statusCode, string message = "mock error") =>
        new() { StatusCode = statusCode, ErrorMessage = message };

    /// <summary>A 429 rate-limit response, optionally with a <c>retry-after</c> header in seconds.</summary>
    /// <param name="retryAfter">The delay to advertise; <see langword="null"/> for none.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply RateLimited(TimeSpan? retryAfter = null) =>
        retryAfter is { } delay
            ? new() { StatusCode = 429, ErrorMessage = "Rate limit reached", Headers = new Dictionary<string, string> { ["retry-after-ms"] = ((long)delay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), ["retry-after"] = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } }
            : new() { StatusCode = 429, ErrorMessage = "Rate limit reached" };

    /// <summary>A transport fault instead of a response.</summary>
    /// <param name="fault">The fault.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply Faulted(MockFault fault) => new() { Fault = fault };

    /// <summary>A verbatim body, for malformed or unexpected responses.</summary>
    /// <param name="body">The body to send.</param>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <returns>The reply.</returns>
    public static MockChatReply Raw(string body, int statusCode = 200) => new() { RawBody = body, StatusCode = statusCode };
}
