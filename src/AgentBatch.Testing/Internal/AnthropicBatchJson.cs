using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentBatch.Testing.Internal;

/// <summary>
/// Anthropic's Message Batches wire format: the create request's <c>requests</c>, the batch object and the result lines.
/// Each request's <c>params</c> and each result's <c>message</c> are the Messages API's (<see cref="AnthropicMessagesJson"/>).
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

            if (AnthropicMessagesJson.Refusal(parameters) is { } refusal)
            {
                return (null, $"{where}.params.{refusal}");
            }

            lines.Add(new MockBatchLine(i, customId, parameters.ToJsonString(), AnthropicMessagesJson.ToChatShape(parameters)));
        }

        return (lines, null);
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
            result = new JsonObject { ["type"] = "succeeded", ["message"] = AnthropicMessagesJson.Message(request, reply, input, output, AnthropicMessagesJson.BatchTier) };
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

    /// <summary>An RFC 3339 time, as Anthropic writes them.</summary>
    /// <param name="at">The time.</param>
    /// <returns>The text, or <see langword="null"/>.</returns>
    public static string? Time(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Errored(int status, string message, MockChatRequest request) => new()
    {
        ["type"] = "errored",
        ["error"] = AnthropicMessagesJson.Error(status, message, string.Create(CultureInfo.InvariantCulture, $"req_mock_batch_{request.Sequence:D6}")),
    };

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex CustomIdPattern();
}
