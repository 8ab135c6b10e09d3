using System.Text.Json.Nodes;

namespace AgentBatch.Testing;

/// <summary>A chat request as the mock server received it: OpenAI's chat completions or Anthropic's Messages, read into one shape.</summary>
/// <remarks>
/// An Anthropic request reads as its chat-completions equivalent: <c>system</c> as a system message, <c>tool_use</c>
/// blocks as an assistant's tool calls, <c>tool_result</c> blocks as tool messages, image blocks as image parts (not
/// in <see cref="MockChatMessage.Content"/>). <see cref="RawBody"/> keeps what was sent.
/// </remarks>
public sealed class MockChatRequest
{
    internal MockChatRequest(int sequence, string rawBody, JsonNode? body, IReadOnlyDictionary<string, string> headers)
        : this(sequence, rawBody, body, headers, batchId: null, customId: null)
    {
    }

    /// <summary>Initializes a request that is one line of a provider batch.</summary>
    /// <param name="sequence">The order in which the server answered it.</param>
    /// <param name="rawBody">The request as the batch carried it: an OpenAI request line's <c>body</c>, or an Anthropic request's <c>params</c>.</param>
    /// <param name="body">The request in the chat-completions shape, which the properties are read from.</param>
    /// <param name="headers">The headers of the HTTP request that created the batch.</param>
    /// <param name="batchId">The batch's id; <see langword="null"/> for a live request.</param>
    /// <param name="customId">The request's <c>custom_id</c> in the batch; <see langword="null"/> for a live request.</param>
    internal MockChatRequest(int sequence, string rawBody, JsonNode? body, IReadOnlyDictionary<string, string> headers, string? batchId, string? customId)
    {
        BatchId = batchId;
        CustomId = customId;
        Sequence = sequence;
        RawBody = rawBody;
        Headers = headers;
        IsStreaming = IsTrue(body?["stream"]);
        StreamIncludesUsage = IsStreaming && IsTrue(body?["stream_options"]?["include_usage"]);
        Model = body?["model"]?.GetValue<string>() ?? string.Empty;
        MaxTokens = (body?["max_completion_tokens"] ?? body?["max_tokens"])?.GetValue<int>();
        ToolNames = body?["tools"] is JsonArray tools
            ? tools.Select(t => t?["function"]?["name"]?.GetValue<string>() ?? string.Empty).ToArray()
            : [];
        ResponseFormat = body?["response_format"]?["type"]?.GetValue<string>();
        Messages = body?["messages"] is JsonArray messages
            ? messages.Where(m => m is not null).Select(m => ParseMessage(m!)).ToArray()
            : [];
    }

    /// <summary>Gets the order in which the server received this request, from 0.</summary>
    public int Sequence { get; }

    /// <summary>Gets the request body exactly as received.</summary>
    /// <remarks>For a batched request, the request as the batch carried it: an OpenAI request line's <c>body</c>, or an Anthropic request's <c>params</c>.</remarks>
    public string RawBody { get; }

    /// <summary>Gets the id of the provider batch this request is a line of, or <see langword="null"/> for a live request.</summary>
    /// <remarks>An OpenAI batch id starts with <c>batch_</c>, an Anthropic one with <c>msgbatch_</c> (see <see cref="MockChatServer.Batches"/>).</remarks>
    public string? BatchId { get; }

    /// <summary>Gets the request's <c>custom_id</c> in its batch, or <see langword="null"/> for a live request.</summary>
    public string? CustomId { get; }

    /// <summary>Gets the request's HTTP headers: the first value of each, looked up by name in any case.</summary>
    /// <remarks>They include the client's credentials (<c>Authorization</c>, <c>api-key</c>, <c>x-api-key</c>) and Anthropic's <c>anthropic-version</c> as sent.</remarks>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets the API key the client sent: the token of an <c>Authorization: Bearer</c> header, else the <c>api-key</c> header (Azure style), else the <c>x-api-key</c> header (Anthropic style), else <see langword="null"/>.</summary>
    public string? ApiKey => ReadApiKey(Headers);

    /// <summary>Reads the API key from a request's headers, as <see cref="ApiKey"/> describes.</summary>
    /// <param name="headers">The first value of each header, looked up by name in any case.</param>
    /// <returns>The key, or <see langword="null"/>.</returns>
    internal static string? ReadApiKey(IReadOnlyDictionary<string, string> headers)
    {
        const string Bearer = "Bearer ";
        if (headers.TryGetValue("Authorization", out var authorization) && authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return authorization[Bearer.Length..].Trim();
        }

        return headers.TryGetValue("api-key", out var key) ? key
            : headers.TryGetValue("x-api-key", out var anthropicKey) ? anthropicKey
            : null;
    }

    /// <summary>Gets a value indicating whether the request asks for a streamed answer (<c>"stream": true</c>).</summary>
    /// <remarks>The server then answers with server-sent events instead of one JSON body: <c>chat.completion.chunk</c> events to an OpenAI request, Anthropic's message events to an Anthropic one.</remarks>
    public bool IsStreaming { get; }

    /// <summary>Gets the requested model id.</summary>
    public string Model { get; }

    /// <summary>Gets the requested maximum output tokens, if any.</summary>
    public int? MaxTokens { get; }

    /// <summary>Gets the names of the tools offered to the model.</summary>
    public IReadOnlyList<string> ToolNames { get; }

    /// <summary>Gets the requested response format type (<c>json_schema</c>, <c>json_object</c>, <c>text</c>), if any.</summary>
    public string? ResponseFormat { get; }

    /// <summary>Gets the messages of the request, in order.</summary>
    public IReadOnlyList<MockChatMessage> Messages { get; }

    /// <summary>Gets the text of the system message, if any.</summary>
    public string? SystemText => Messages.FirstOrDefault(m => m.Role is "system" or "developer")?.Content;

    /// <summary>Gets the text of the last user message, or an empty string.</summary>
    public string LastUserText => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? string.Empty;

    /// <summary>Gets the inputs of a grouped request (AgentBatch's numbered <c>&lt;item n&gt;</c> blocks) in order; empty for an ordinary request.</summary>
    public IReadOnlyList<string> GroupedItems
    {
        get
        {
            var text = LastUserText;
            var items = new List<string>();
            for (var n = 1; ; n++)
            {
                var open = $"<item {n}>\n";
                var close = $"\n</item {n}>";
                var start = text.IndexOf(open, StringComparison.Ordinal);
                var end = start < 0 ? -1 : text.IndexOf(close, start + open.Length, StringComparison.Ordinal);
                if (end < 0)
                {
                    return items;
                }

                items.Add(text[(start + open.Length)..end]);
            }
        }
    }

    /// <summary>Gets the number of tool results in the request: how many tool round trips came before it.</summary>
    public int ToolResultCount => Messages.Count(m => m.Role == "tool");

    /// <summary>Gets a value indicating whether a streaming request asks for a final usage chunk (<c>stream_options.include_usage</c>).</summary>
    internal bool StreamIncludesUsage { get; }

    private static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    private static MockChatMessage ParseMessage(JsonNode message)
    {
        var role = message["role"]?.GetValue<string>() ?? string.Empty;
        var content = message["content"] switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? string.Empty)),
            _ => string.Empty,
        };
        var toolCallNames = message["tool_calls"] is JsonArray calls
            ? calls.Select(c => c?["function"]?["name"]?.GetValue<string>() ?? string.Empty).ToArray()
            : [];
        return new MockChatMessage(role, content, message["tool_call_id"]?.GetValue<string>(), toolCallNames);
    }
}
