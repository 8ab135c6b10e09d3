using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>OpenAI's batch wire format: the input file's lines, the batch and file objects, and the output and error files' lines.</summary>
internal static class OpenAIBatchJson
{
    /// <summary>The only endpoint the mock runs batches for.</summary>
    public const string ChatCompletionsEndpoint = "/v1/chat/completions";

    /// <summary>Reads an input file into the batch's requests, and lists what validation will fail the batch for.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="endpoint">The batch's endpoint, which every line's <c>url</c> must match.</param>
    /// <param name="maxRequests">The most requests one file may hold.</param>
    /// <returns>The requests (one per nonblank line), the errors (empty if the input is valid) and the model of the first request.</returns>
    public static (List<MockBatchLine> Lines, List<MockBatchError> Errors, string? Model) ReadInput(string text, string endpoint, int maxRequests)
    {
        var lines = new List<MockBatchLine>();
        var errors = new List<MockBatchError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? model = null;
        var physical = text.Split('\n');
        for (var n = 0; n < physical.Length; n++)
        {
            var raw = physical[n].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            var lineNumber = n + 1;
            var line = MockJson.ParseObject(raw);
            if (line is null)
            {
                errors.Add(new MockBatchError("invalid_json_line", "This line is not parseable as valid JSON.", lineNumber));
                lines.Add(new MockBatchLine(lines.Count, null, raw, null));
                continue;
            }

            var customId = MockJson.StringOf(line["custom_id"]);
            var body = line["body"] as JsonObject;
            if (string.IsNullOrEmpty(customId))
            {
                errors.Add(new MockBatchError("missing_required_parameter", "Missing required parameter: 'custom_id'.", lineNumber, "custom_id"));
            }
            else if (!seen.Add(customId))
            {
                errors.Add(new MockBatchError("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.", lineNumber, "custom_id"));
            }

            if (!string.Equals(MockJson.StringOf(line["method"]), "POST", StringComparison.Ordinal))
            {
                errors.Add(new MockBatchError("invalid_request", "The method of each request must be 'POST'.", lineNumber, "method"));
            }

            var url = MockJson.StringOf(line["url"]);
            if (!string.Equals(url, endpoint, StringComparison.Ordinal))
            {
                errors.Add(new MockBatchError("url_mismatch", $"The provided URL '{url}' does not match the batch endpoint '{endpoint}'.", lineNumber, "url"));
            }

            var lineModel = MockJson.StringOf(body?["model"]);
            if (body is null)
            {
                errors.Add(new MockBatchError("missing_required_parameter", "Missing required parameter: 'body'.", lineNumber, "body"));
            }
            else if (string.IsNullOrEmpty(lineModel))
            {
                errors.Add(new MockBatchError("missing_required_parameter", "Missing required parameter: 'body.model'.", lineNumber, "body.model"));
            }
            else if (model is null)
            {
                model = lineModel;
            }
            else if (!string.Equals(model, lineModel, StringComparison.Ordinal))
            {
                errors.Add(new MockBatchError("model_mismatch", $"The provided model '{lineModel}' does not match the model '{model}' of the other requests in the batch.", lineNumber, "body.model"));
            }

            lines.Add(new MockBatchLine(lines.Count, customId, body?.ToJsonString() ?? "{}", body is null || !ChatShapeIsReadable(body) ? null : body));
        }

        if (lines.Count == 0)
        {
            errors.Insert(0, new MockBatchError("empty_file", "The batch input file is empty."));
        }
        else if (lines.Count > maxRequests)
        {
            errors.Insert(0, new MockBatchError("too_many_tasks", string.Create(CultureInfo.InvariantCulture, $"The batch input file has {lines.Count} requests; a batch can have at most {maxRequests}.")));
        }

        return (lines, errors, model);
    }

    /// <summary>Runs one request through the responder and writes its output (or error) line.</summary>
    /// <param name="server">The server whose responder answers.</param>
    /// <param name="store">The store, for the response's <c>request_id</c>.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="line">The request.</param>
    public static void RunLine(MockChatServer server, MockBatchStore store, MockBatchRecord batch, MockBatchLine line)
    {
        var request = server.RecordBatchRequest(line.RawBody, line.ChatBody, batch.Headers, batch.Id, line.CustomId!);
        var reply = server.ReplyTo(request);
        int status;
        JsonNode? body;
        if (reply.Fault != MockFault.None)
        {
            status = 500;
            body = JsonNode.Parse(MockCompletionBodies.Error(MockChatReply.Error(500, $"MockFault.{reply.Fault}: a batched request has no connection to break; answered as a server error.")));
        }
        else if (reply.RawBody is { } raw)
        {
            status = reply.StatusCode;
            body = MockJson.ParseOrString(raw);
        }
        else if (reply.StatusCode != 200)
        {
            status = reply.StatusCode;
            body = JsonNode.Parse(MockCompletionBodies.Error(reply));
        }
        else
        {
            status = 200;
            body = JsonNode.Parse(MockCompletionBodies.Completion(request, reply, server.UsageTokenCounter));
        }

        var succeeded = status is >= 200 and < 300;
        line.Outcome = succeeded ? MockBatchOutcome.Succeeded : MockBatchOutcome.Errored;
        if (succeeded && body?["usage"] is JsonObject usage)
        {
            line.InputTokens = (int)(MockJson.IntegerOf(usage["prompt_tokens"]) ?? 0);
            line.OutputTokens = (int)(MockJson.IntegerOf(usage["completion_tokens"]) ?? 0);
        }

        line.Result = new JsonObject
        {
            ["id"] = RequestId(batch, line),
            ["custom_id"] = line.CustomId,
            ["response"] = new JsonObject
            {
                ["status_code"] = status,
                ["request_id"] = store.NextRequestId(),
                ["body"] = body,
            },
            ["error"] = null,
        };
    }

    /// <summary>The error-file line of a request that never ran: expired ones get one; cancelled ones none (OpenAI writes only the finished requests of a cancelled batch).</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="line">The request.</param>
    /// <param name="outcome">Why it never ran.</param>
    /// <returns>The line, or <see langword="null"/>.</returns>
    public static JsonObject? UnrunLine(MockBatchRecord batch, MockBatchLine line, MockBatchOutcome outcome) => outcome == MockBatchOutcome.Expired
        ? new JsonObject
        {
            ["id"] = RequestId(batch, line),
            ["custom_id"] = line.CustomId,
            ["response"] = null,
            ["error"] = new JsonObject
            {
                ["code"] = "batch_expired",
                ["message"] = "This request could not be executed before the completion window expired.",
            },
        }
        : null;

    /// <summary>Writes the output file (requests that succeeded) and the error file (requests that failed or expired), each only if it has a line, in the batch's run order.</summary>
    /// <param name="store">The store to add the files to.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="at">When.</param>
    public static void WriteFiles(MockBatchStore store, MockBatchRecord batch, DateTimeOffset at)
    {
        var ordered = batch.Order.Select(i => batch.Lines[i]).Where(l => l.Result is not null).ToArray();
        batch.OutputFileId = WriteFile(store, batch, at, "output", ordered.Where(l => l.Outcome == MockBatchOutcome.Succeeded));
        batch.ErrorFileId = WriteFile(store, batch, at, "error", ordered.Where(l => l.Outcome != MockBatchOutcome.Succeeded));
    }

    /// <summary>The batch object, as <c>GET /v1/batches/{id}</c> returns it.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject Batch(MockBatchRecord batch)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in batch.Metadata)
        {
            metadata[key] = value;
        }

        var input = batch.Lines.Sum(l => l.InputTokens);
        var output = batch.Lines.Sum(l => l.OutputTokens);
        return new JsonObject
        {
            ["id"] = batch.Id,
            ["object"] = "batch",
            ["endpoint"] = batch.Endpoint,
            ["model"] = batch.Model,
            ["errors"] = batch.Errors.Count == 0 ? null : new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(batch.Errors.Select(e => (JsonNode)new JsonObject
                {
                    ["code"] = e.Code,
                    ["message"] = e.Message,
                    ["param"] = e.Param,
                    ["line"] = e.Line,
                }).ToArray()),
            },
            ["input_file_id"] = batch.InputFileId,
            ["completion_window"] = batch.CompletionWindow,
            ["status"] = MockBatchLifecycle.WireStatus(batch),
            ["output_file_id"] = batch.OutputFileId,
            ["error_file_id"] = batch.ErrorFileId,
            ["created_at"] = batch.CreatedAt.ToUnixTimeSeconds(),
            ["in_progress_at"] = Unix(batch.EnteredAtOf(MockBatchState.InProgress)),
            ["expires_at"] = batch.ExpiresAt.ToUnixTimeSeconds(),
            ["finalizing_at"] = Unix(batch.EnteredAtOf(MockBatchState.Finalizing)),
            ["completed_at"] = Unix(batch.EnteredAtOf(MockBatchState.Completed)),
            ["failed_at"] = Unix(batch.EnteredAtOf(MockBatchState.Failed)),
            ["expired_at"] = Unix(batch.EnteredAtOf(MockBatchState.Expired)),
            ["cancelling_at"] = Unix(batch.EnteredAtOf(MockBatchState.Cancelling)),
            ["cancelled_at"] = Unix(batch.EnteredAtOf(MockBatchState.Cancelled)),
            ["request_counts"] = new JsonObject
            {
                ["total"] = batch.Validated ? batch.Lines.Count : 0,
                ["completed"] = batch.Count(MockBatchOutcome.Succeeded),
                ["failed"] = batch.Count(MockBatchOutcome.Errored) + batch.Count(MockBatchOutcome.Expired),
            },
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = input,
                ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                ["output_tokens"] = output,
                ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
                ["total_tokens"] = input + output,
            },
            ["metadata"] = batch.Metadata.Count == 0 ? null : metadata,
        };
    }

    /// <summary>The file object, as <c>GET /v1/files/{id}</c> returns it.</summary>
    /// <param name="file">The file.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject File(MockBatchFile file) => new()
    {
        ["id"] = file.Id,
        ["object"] = "file",
        ["bytes"] = file.Bytes,
        ["created_at"] = file.CreatedAt.ToUnixTimeSeconds(),
        ["expires_at"] = null,
        ["filename"] = file.Filename,
        ["purpose"] = file.Purpose,
        ["status"] = "processed",
        ["status_details"] = null,
    };

    private static string? WriteFile(MockBatchStore store, MockBatchRecord batch, DateTimeOffset at, string kind, IEnumerable<MockBatchLine> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line.Result!.ToJsonString()).Append('\n');
        }

        if (text.Length == 0)
        {
            return null;
        }

        var content = BinaryData.FromString(text.ToString());
        return store.AddFile(id => new MockBatchFile(id, $"{batch.Id}_{kind}.jsonl", "batch_output", content, at, batch.Id)).Id;
    }

    private static string RequestId(MockBatchRecord batch, MockBatchLine line) =>
        string.Create(CultureInfo.InvariantCulture, $"batch_req_mock_{batch.Ordinal:D6}_{line.Index:D6}");

    private static long? Unix(DateTimeOffset? at) => at?.ToUnixTimeSeconds();

    /// <summary>Whether <see cref="MockChatRequest"/> can read the body: the fields it reads have the types it expects.</summary>
    private static bool ChatShapeIsReadable(JsonObject body)
    {
        try
        {
            _ = new MockChatRequest(0, string.Empty, body, new Dictionary<string, string>());
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
