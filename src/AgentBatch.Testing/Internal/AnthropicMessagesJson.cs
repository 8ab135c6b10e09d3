using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>
/// Anthropic's Messages API wire format, shared by the live endpoint (<c>POST /v1/messages</c>) and the message batches:
/// a request's params read into the chat-completions shape the responder sees, a reply written back as an Anthropic
/// <c>message</c> or as its server-sent events, and the error body.
/// </summary>
/// <remarks>Checked against what the official Anthropic .NET client (13.14) sends and reads.</remarks>
internal static class AnthropicMessagesJson
{
    /// <summary>The <c>usage.service_tier</c> of a live request.</summary>
    public const string StandardTier = "standard";

    /// <summary>The <c>usage.service_tier</c> of a batched request.</summary>
    public const string BatchTier = "batch";

    /// <summary>What the real API refuses a request's params for, as its <c>invalid_request_error</c> says it; <see langword="null"/> when they are acceptable.</summary>
    /// <param name="parameters">The params: a live request's body, or a batched request's <c>params</c>.</param>
    /// <returns>The message, naming the field (<c>max_tokens: Field required</c>), or <see langword="null"/>.</returns>
    public static string? Refusal(JsonObject parameters)
    {
        if (MockJson.StringOf(parameters["model"]) is null)
        {
            return "model: Field required";
        }

        if (MockJson.IntegerOf(parameters["max_tokens"]) is not (>= 1 and <= int.MaxValue))
        {
            return "max_tokens: Field required (an integer of at least 1)";
        }

        return parameters["messages"] is JsonArray { Count: > 0 } ? null : "messages: Field required (at least one message)";
    }

    /// <summary>
    /// A request's params in the chat-completions shape: <c>system</c> as a system message, each message's text blocks
    /// joined (image blocks kept as image parts), <c>tool_use</c> blocks as tool calls, <c>tool_result</c> blocks as
    /// tool messages, <c>tools</c> as function tools, a JSON-schema <c>output_config.format</c> as a
    /// <c>json_schema</c> response format, and <c>model</c>, <c>max_tokens</c> and <c>stream</c> as they are.
    /// </summary>
    /// <param name="parameters">The params.</param>
    /// <returns>The chat-completions request.</returns>
    public static JsonObject ToChatShape(JsonObject parameters)
    {
        var messages = new JsonArray();
        if (parameters["system"] is { } system)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = TextOf(system) });
        }

        foreach (var message in (parameters["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var role = MockJson.StringOf(message["role"]) ?? "user";
            var blocks = (message["content"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            foreach (var result in blocks.Where(b => TypeOf(b) == "tool_result"))
            {
                messages.Add(new JsonObject
                {
                    ["role"] = "tool",
                    ["tool_call_id"] = MockJson.StringOf(result["tool_use_id"]),
                    ["content"] = TextOf(result["content"]),
                });
            }

            var calls = new JsonArray(blocks
                .Where(b => TypeOf(b) == "tool_use")
                .Select(b => (JsonNode)new JsonObject
                {
                    ["id"] = MockJson.StringOf(b["id"]),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = MockJson.StringOf(b["name"]), ["arguments"] = b["input"]?.ToJsonString() ?? "{}" },
                })
                .ToArray());
            var images = blocks.Where(b => TypeOf(b) == "image").Select(ImagePart).ToArray();
            var text = TextOf(message["content"]);
            if (calls.Count > 0 || text.Length > 0 || images.Length > 0 || blocks.Count == 0)
            {
                var chat = new JsonObject
                {
                    ["role"] = role,
                    ["content"] = images.Length == 0
                        ? text
                        : new JsonArray([new JsonObject { ["type"] = "text", ["text"] = text }, .. images]),
                };
                if (calls.Count > 0)
                {
                    chat["tool_calls"] = calls;
                }

                messages.Add(chat);
            }
        }

        var shape = new JsonObject
        {
            ["model"] = MockJson.StringOf(parameters["model"]),
            ["max_tokens"] = (int?)MockJson.IntegerOf(parameters["max_tokens"]),
            ["messages"] = messages,
        };
        if (parameters["stream"] is JsonValue stream && stream.TryGetValue<bool>(out var streaming))
        {
            shape["stream"] = streaming;
        }

        if (parameters["tools"] is JsonArray tools)
        {
            shape["tools"] = new JsonArray(tools.OfType<JsonObject>()
                .Select(t => (JsonNode)new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = MockJson.StringOf(t["name"]) } })
                .ToArray());
        }

        if (MockJson.StringOf(parameters["output_config"]?["format"]?["type"]) == "json_schema")
        {
            shape["response_format"] = new JsonObject { ["type"] = "json_schema" };
        }

        return shape;
    }

    /// <summary>The reply as an Anthropic <c>message</c>: its text block, then a <c>tool_use</c> block per tool call, the stop reason and the usage.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="input">The input tokens to report.</param>
    /// <param name="output">The output tokens to report.</param>
    /// <param name="serviceTier">The <c>usage.service_tier</c>: <see cref="StandardTier"/> or <see cref="BatchTier"/>.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject Message(MockChatRequest request, MockChatReply reply, int input, int output, string serviceTier)
    {
        var content = new JsonArray();
        if (HasText(reply))
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = reply.Text ?? string.Empty, ["citations"] = null });
        }

        for (var n = 0; n < reply.ToolCalls.Count; n++)
        {
            var use = ToolUse(request, reply, n);
            use["input"] = MockJson.ParseObject(reply.ToolCalls[n].ArgumentsJson) ?? new JsonObject();
            content.Add(use);
        }

        var message = Envelope(request, reply, content, StopReason(reply));
        if (reply.IncludeUsage)
        {
            message["usage"] = Usage(input, output, serviceTier);
        }

        return message;
    }

    /// <summary>
    /// The reply as Anthropic streams it, each piece one or more complete <c>event: ...\ndata: ...\n\n</c> events:
    /// <c>message_start</c> (with the input tokens), a <c>ping</c>, per content block a <c>content_block_start</c>,
    /// its deltas (<c>text_delta</c>, <c>input_json_delta</c>) and a <c>content_block_stop</c>, then
    /// <c>message_delta</c> (the stop reason and the output tokens) and <c>message_stop</c>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="input">The input tokens to report.</param>
    /// <param name="output">The output tokens to report.</param>
    /// <returns>The pieces. The first runs up to the first delta, so a stream cut after it has already said something.</returns>
    public static IReadOnlyList<string> StreamPieces(MockChatRequest request, MockChatReply reply, int input, int output)
    {
        var start = Envelope(request, reply, [], stopReason: null);
        if (reply.IncludeUsage)
        {
            // As the real API does, the start reports the input and a first output token; the end, the whole output.
            start["usage"] = Usage(input, Math.Min(1, output), StandardTier);
        }

        string? head = Event(new JsonObject { ["type"] = "message_start", ["message"] = start })
            + Event(new JsonObject { ["type"] = "ping" });
        var pieces = new List<string>();
        var index = 0;
        if (HasText(reply))
        {
            var text = MockCompletionBodies.Split(reply.Text ?? string.Empty, MockCompletionBodies.TextDeltas);
            AddBlock(pieces, ref head, index++, new JsonObject { ["type"] = "text", ["text"] = string.Empty, ["citations"] = null }, text.Count == 0 ? [string.Empty] : text, static piece => new JsonObject { ["type"] = "text_delta", ["text"] = piece });
        }

        for (var n = 0; n < reply.ToolCalls.Count; n++)
        {
            var use = ToolUse(request, reply, n);
            use["input"] = new JsonObject();
            AddBlock(pieces, ref head, index++, use, MockCompletionBodies.Split(reply.ToolCalls[n].ArgumentsJson, MockCompletionBodies.ArgumentDeltas), static piece => new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece });
        }

        var delta = new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = StopReason(reply), ["stop_sequence"] = null },
        };
        if (reply.IncludeUsage)
        {
            delta["usage"] = new JsonObject { ["output_tokens"] = output };
        }

        pieces.Add(Event(delta));
        pieces.Add(Event(new JsonObject { ["type"] = "message_stop" }));
        return pieces;
    }

    /// <summary>An Anthropic error body: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    /// <param name="status">The HTTP status, which decides the error type (<see cref="ErrorType"/>).</param>
    /// <param name="message">The message.</param>
    /// <param name="requestId">The request id.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject Error(int status, string message, string requestId) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = ErrorType(status), ["message"] = message },
        ["request_id"] = requestId,
    };

    /// <summary>The error type Anthropic reports for an HTTP status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The error type.</returns>
    public static string ErrorType(int status) => status switch
    {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>Adds a content block's events: its start, one delta per piece, its stop. The first delta ends the head piece.</summary>
    private static void AddBlock(List<string> pieces, ref string? head, int index, JsonObject block, List<string> parts, Func<string, JsonObject> delta)
    {
        var start = Event(new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = block });
        if (head is not null)
        {
            start = head + start;
            head = null;
        }

        for (var n = 0; n < parts.Count; n++)
        {
            var piece = Event(new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta(parts[n]) });
            pieces.Add(n == 0 ? start + piece : piece);
        }

        if (parts.Count == 0)
        {
            pieces.Add(start);
        }

        pieces.Add(Event(new JsonObject { ["type"] = "content_block_stop", ["index"] = index }));
    }

    // A text block when there is text, or when there is nothing else: a message always has content.
    private static bool HasText(MockChatReply reply) => !string.IsNullOrEmpty(reply.Text) || reply.ToolCalls.Count == 0;

    private static string StopReason(MockChatReply reply) => reply.ToolCalls.Count > 0 ? "tool_use" : "end_turn";

    /// <summary>A <c>tool_use</c> block without its input; the client of this SDK version requires the <c>caller</c>.</summary>
    private static JsonObject ToolUse(MockChatRequest request, MockChatReply reply, int n) => new()
    {
        ["type"] = "tool_use",
        ["id"] = string.Create(CultureInfo.InvariantCulture, $"toolu_mock_{request.Sequence}_{n}"),
        ["name"] = reply.ToolCalls[n].Name,
        ["caller"] = new JsonObject { ["type"] = "direct" },
    };

    private static JsonObject Envelope(MockChatRequest request, MockChatReply reply, JsonArray content, string? stopReason) => new()
    {
        ["id"] = string.Create(CultureInfo.InvariantCulture, $"msg_mock_{request.Sequence:D6}"),
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = reply.Model ?? (request.Model.Length > 0 ? request.Model : "mock"),
        ["content"] = content,
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = null,
    };

    private static JsonObject Usage(int input, int output, string serviceTier) => new()
    {
        ["input_tokens"] = input,
        ["output_tokens"] = output,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = 0,
        ["server_tool_use"] = null,
        ["service_tier"] = serviceTier,
    };

    private static string Event(JsonObject data) => $"event: {MockJson.StringOf(data["type"])}\ndata: {data.ToJsonString()}\n\n";

    private static string? TypeOf(JsonObject block) => MockJson.StringOf(block["type"]);

    /// <summary>An image block as a chat-completions image part: a base64 source as a data URL, a URL source as it is.</summary>
    private static JsonNode ImagePart(JsonObject block)
    {
        var source = block["source"];
        var url = MockJson.StringOf(source?["type"]) == "base64"
            ? $"data:{MockJson.StringOf(source?["media_type"])};base64,{MockJson.StringOf(source?["data"])}"
            : MockJson.StringOf(source?["url"]) ?? string.Empty;
        return new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } };
    }

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray blocks => string.Concat(blocks.OfType<JsonObject>()
            .Where(b => TypeOf(b) == "text")
            .Select(b => MockJson.StringOf(b["text"]) ?? string.Empty)),
        _ => string.Empty,
    };
}
