using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentBatch.Testing.Internal;

/// <summary>
/// Anthropic's Message Batches wire format: a request's <c>params</c> read into the chat-completions shape the responder
/// sees, a reply written back as an Anthropic <c>message</c>, and the batch object and result lines.
/// </summary>
internal static partial class AnthropicBatchJson
{
    /// <summary>Reads a create request's <c>requests</c>, refusing what the real API refuses.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="maxRequests">The most requests one batch may hold.</param>
    /// <returns>The requests, or the message of the <c>invalid_request_error</c> to refuse the batch with.</returns>
    public static (List<MockBatchLine>? Lines, string? Error) ReadRequests(JsonObject body, int maxRequests)
    {
        if (body["requests"] is not JsonArray requests)
        {
            return (null, "requests: Field required");
        }

        if (requests.Count == 0)
        {
            return (null, "requests: List should have at least 1 item after validation, not 0");
        }

        if (requests.Count > maxRequests)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"requests: List should have at most {maxRequests} items after validation, not {requests.Count}"));
        }

        var lines = new List<MockBatchLine>(requests.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i] as JsonObject;
            var customId = MockJson.StringOf(request?["custom_id"]);
            var where = string.Create(CultureInfo.InvariantCulture, $"requests.{i}");
            if (customId is null)
            {
                return (null, where + ".custom_id: Field required");
            }

            if (!CustomIdPattern().IsMatch(customId))
            {
                return (null, where + ".custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
            }

            if (!seen.Add(customId))
            {
                return (null, $"{where}.custom_id: Duplicate custom_id '{customId}': each request in a batch needs its own.");
            }

            if (request!["params"] is not JsonObject parameters)
            {
                return (null, where + ".params: Field required");
            }

            if (MockJson.StringOf(parameters["model"]) is null)
            {
                return (null, where + ".params.model: Field required");
            }

            if (MockJson.IntegerOf(parameters["max_tokens"]) is not ( >= 1 and <= int.MaxValue))
            {
                return (null, where + ".params.max_tokens: Field required (an integer of at least 1)");
            }

            if (parameters["messages"] is not JsonArray { Count: > 0 })
            {
                return (null, where + ".params.messages: Field required (at least one message)");
            }

            lines.Add(new MockBatchLine(i, customId, parameters.ToJsonString(), ToChatShape(parameters)));
        }

        return (lines, null);
    }

    /// <summary>
    /// A request's <c>params</c> in the chat-completions shape: <c>system</c> as a system message, each message's text
    /// blocks joined, <c>tool_use</c> blocks as tool calls, <c>tool_result</c> blocks as tool messages, <c>tools</c> as
    /// function tools, <c>max_tokens</c> and <c>model</c> as they are.
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
            var blocks = message["content"] as JsonArray ?? [];
            foreach (var result in blocks.OfType<JsonObject>().Where(b => MockJson.StringOf(b["type"]) == "tool_result"))
            {
                messages.Add(new JsonObject
                {
                    ["role"] = "tool",
                    ["tool_call_id"] = MockJson.StringOf(result["tool_use_id"]),
                    ["content"] = TextOf(result["content"]),
                });
            }

            var calls = new JsonArray(blocks.OfType<JsonObject>()
                .Where(b => MockJson.StringOf(b["type"]) == "tool_use")
                .Select(b => (JsonNode)new JsonObject
                {
                    ["id"] = MockJson.StringOf(b["id"]),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = MockJson.StringOf(b["name"]), ["arguments"] = b["input"]?.ToJsonString() ?? "{}" },
                })
                .ToArray());
            var text = TextOf(message["content"]);
            if (calls.Count > 0 || text.Length > 0 || blocks.Count == 0)
            {
                var chat = new JsonObject { ["role"] = role, ["content"] = text };
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
        if (parameters["tools"] is JsonArray tools)
        {
            shape["tools"] = new JsonArray(tools.OfType<JsonObject>()
                .Select(t => (JsonNode)new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = MockJson.StringOf(t["name"]) } })
                .ToArray());
        }

        return shape;
    }

    /// <summary>Runs one request through the responder and writes its result line: <c>succeeded</c> with a message, or <c>errored</c>.</summary>
    /// <param name="server">The server whose responder answers.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="line">The request.</param>
    public static void RunRequest(MockChatServer server, MockBatchRecord batch, MockBatchLine line)
    {
        var request = server.RecordBatchRequest(line.RawBody, line.ChatBody, batch.Headers, batch.Id, line.CustomId!);
        var reply = server.ReplyTo(request);
        JsonObject result;
        if (reply.Fault != MockFault.None)
        {
            result = Errored(500, $"MockFault.{reply.Fault}: a batched request has no connection to break; answered as a server error.", request);
        }
        else if (reply.StatusCode is < 200 or >= 300)
        {
            result = Errored(reply.StatusCode, reply.ErrorMessage ?? reply.RawBody ?? "mock error", request);
        }
        else if (reply.RawBody is { } raw)
        {
            result = new JsonObject { ["type"] = "succeeded", ["message"] = MockJson.ParseOrString(raw) };
        }
        else
        {
            var (input, output) = MockCompletionBodies.UsageFigures(request, reply, server.UsageTokenCounter);
            line.InputTokens = input;
            line.OutputTokens = output;
            result = new JsonObject { ["type"] = "succeeded", ["message"] = Message(request, reply, input, output) };
        }

        line.Outcome = MockJson.StringOf(result["type"]) == "succeeded" ? MockBatchOutcome.Succeeded : MockBatchOutcome.Errored;
        line.Result = new JsonObject { ["custom_id"] = line.CustomId, ["result"] = result };
    }

    /// <summary>The result line of a request that never ran: <c>canceled</c> or <c>expired</c>.</summary>
    /// <param name="line">The request.</param>
    /// <param name="outcome">Why it never ran.</param>
    /// <returns>The line.</returns>
    public static JsonObject UnrunResult(MockBatchLine line, MockBatchOutcome outcome) => new()
    {
        ["custom_id"] = line.CustomId,
        ["result"] = new JsonObject { ["type"] = outcome == MockBatchOutcome.Expired ? "expired" : "canceled" },
    };

    /// <summary>The message batch object, as <c>GET /v1/messages/batches/{id}</c> returns it.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="baseUrl">The server's base address, for <c>results_url</c>.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject Batch(MockBatchRecord batch, Uri baseUrl) => new()
    {
        ["id"] = batch.Id,
        ["type"] = "message_batch",
        ["processing_status"] = MockBatchLifecycle.WireStatus(batch),
        ["request_counts"] = new JsonObject
        {
            ["processing"] = batch.IsEnded ? 0 : batch.Count(MockBatchOutcome.Pending),
            ["succeeded"] = batch.Count(MockBatchOutcome.Succeeded),
            ["errored"] = batch.Count(MockBatchOutcome.Errored),
            ["canceled"] = batch.Count(MockBatchOutcome.Canceled),
            ["expired"] = batch.Count(MockBatchOutcome.Expired),
        },
        ["ended_at"] = Time(batch.EndedAt),
        ["created_at"] = Time(batch.CreatedAt),
        ["expires_at"] = Time(batch.ExpiresAt),
        ["archived_at"] = null,
        ["cancel_initiated_at"] = Time(batch.EnteredAtOf(MockBatchState.Cancelling)),
        ["results_url"] = batch.IsEnded ? new Uri(baseUrl, $"/v1/messages/batches/{batch.Id}/results").ToString() : null,
    };

    /// <summary>The error type Anthropic reports for an HTTP status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The error type.</returns>
    public static string ErrorType(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>An RFC 3339 time, as Anthropic writes them.</summary>
    /// <param name="at">The time.</param>
    /// <returns>The text, or <see langword="null"/>.</returns>
    public static string? Time(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Message(MockChatRequest request, MockChatReply reply, int input, int output)
    {
        var content = new JsonArray();
        if (!string.IsNullOrEmpty(reply.Text) || reply.ToolCalls.Count == 0)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = reply.Text ?? string.Empty, ["citations"] = null });
        }

        for (var n = 0; n < reply.ToolCalls.Count; n++)
        {
            var call = reply.ToolCalls[n];
            content.Add(new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = string.Create(CultureInfo.InvariantCulture, $"toolu_mock_{request.Sequence}_{n}"),
                ["name"] = call.Name,
                ["input"] = MockJson.ParseObject(call.ArgumentsJson) ?? new JsonObject(),
                ["caller"] = new JsonObject { ["type"] = "direct" },
            });
        }

        return new JsonObject
        {
            ["id"] = string.Create(CultureInfo.InvariantCulture, $"msg_mock_{request.Sequence:D6}"),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = reply.Model ?? (request.Model.Length > 0 ? request.Model : "mock"),
            ["content"] = content,
            ["stop_reason"] = reply.ToolCalls.Count > 0 ? "tool_use" : "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = input,
                ["output_tokens"] = output,
                ["cache_creation_input_tokens"] = 0,
                ["cache_read_input_tokens"] = 0,
                ["server_tool_use"] = null,
                ["service_tier"] = "batch",
            },
        };
    }

    private static JsonObject Errored(int status, string message, MockChatRequest request) => new()
    {
        ["type"] = "errored",
        ["error"] = new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = ErrorType(status), ["message"] = message },
            ["request_id"] = string.Create(CultureInfo.InvariantCulture, $"req_mock_batch_{request.Sequence:D6}"),
        },
    };

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray blocks => string.Concat(blocks.OfType<JsonObject>()
            .Where(b => MockJson.StringOf(b["type"]) == "text")
            .Select(b => MockJson.StringOf(b["text"]) ?? string.Empty)),
        _ => string.Empty,
    };

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex CustomIdPattern();
}
