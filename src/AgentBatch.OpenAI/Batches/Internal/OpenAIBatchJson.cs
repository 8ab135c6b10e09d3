using System.Text.Json;

namespace AgentBatch.Internal;

/// <summary>OpenAI's batch wire format as documented: the batch object's status and counts, and the output and error files' lines.</summary>
internal static class OpenAIBatchJson
{
    /// <summary>Reads a batch object: <c>status</c>, <c>request_counts</c>, <c>created_at</c> and <c>errors</c>.</summary>
    public static ProviderBatchStatus Status(BinaryData batch)
    {
        using var document = JsonDocument.Parse(batch);
        var root = document.RootElement;
        var counts = root.TryGetProperty("request_counts", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var total = Integer(counts, "total");
        var state = StateOf(root.GetProperty("status").GetString());
        return new ProviderBatchStatus(root.GetProperty("id").GetString()!, state)
        {
            // 0 while validating means "not counted yet", not an empty batch.
            RequestCount = state == ProviderBatchState.Validating && total == 0 ? null : total,
            Succeeded = Integer(counts, "completed"),

            // OpenAI counts expired requests among the failed ones.
            Errored = Integer(counts, "failed"),
            CreatedAt = root.TryGetProperty("created_at", out var created) && created.ValueKind == JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeSeconds(created.GetInt64())
                : null,
            Error = Errors(root),
        };
    }

    /// <summary>The ids of a batch's output and error files, those it has.</summary>
    public static IEnumerable<string> ResultFiles(BinaryData batch)
    {
        using var document = JsonDocument.Parse(batch);
        var root = document.RootElement;
        var files = new List<string>(2);
        foreach (var name in new[] { "output_file_id", "error_file_id" })
        {
            if (root.TryGetProperty(name, out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } fileId)
            {
                files.Add(fileId);
            }
        }

        return files;
    }

    /// <summary>The lines of an output or error file.</summary>
    public static IEnumerable<ResultLine> Lines(BinaryData file)
    {
        var text = file.ToMemory();
        while (!text.IsEmpty)
        {
            var end = text.Span.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? ReadOnlyMemory<byte>.Empty : text[(end + 1)..];
            if (line.Span.Trim((byte)'\r').Trim((byte)' ').IsEmpty)
            {
                continue;
            }

            yield return ReadLine(line);
        }
    }

    /// <summary>Looks through one page of a batch list for the batch whose metadata <paramref name="key"/> is <paramref name="value"/>; <c>older</c> once the page reaches batches created before <paramref name="after"/>.</summary>
    public static (string? Found, bool Older) FindByMetadata(BinaryData page, string key, string value, DateTimeOffset after)
    {
        using var document = JsonDocument.Parse(page);
        var older = false;
        if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return (null, true);
        }

        foreach (var batch in data.EnumerateArray())
        {
            if (batch.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                && metadata.TryGetProperty(key, out var tag) && tag.ValueKind == JsonValueKind.String && tag.GetString() == value)
            {
                return (batch.GetProperty("id").GetString(), false);
            }

            if (batch.TryGetProperty("created_at", out var created) && created.ValueKind == JsonValueKind.Number
                && DateTimeOffset.FromUnixTimeSeconds(created.GetInt64()) < after)
            {
                older = true;
            }
        }

        var hasMore = document.RootElement.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
        return (null, older || !hasMore);
    }

    private static ResultLine ReadLine(ReadOnlyMemory<byte> line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var customId = root.GetProperty("custom_id").GetString()!;
        if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            var body = response.TryGetProperty("body", out var b) ? b : default;
            var model = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return new ResultLine(
                customId,
                response.GetProperty("status_code").GetInt32(),
                body.ValueKind == JsonValueKind.Undefined ? ReadOnlyMemory<byte>.Empty : JsonSerializer.SerializeToUtf8Bytes(body),
                model,
                null,
                null);
        }

        var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
        return new ResultLine(customId, null, ReadOnlyMemory<byte>.Empty, null, String(error, "code"), String(error, "message"));
    }

    private static ProviderBatchState StateOf(string? status) => status switch
    {
        "validating" => ProviderBatchState.Validating,
        "in_progress" => ProviderBatchState.InProgress,
        "finalizing" => ProviderBatchState.Finalizing,
        "completed" => ProviderBatchState.Completed,
        "expired" => ProviderBatchState.Expired,
        "cancelling" => ProviderBatchState.Cancelling,
        "cancelled" => ProviderBatchState.Cancelled,
        "failed" => ProviderBatchState.Failed,
        _ => throw new JsonException($"The batch's status '{status}' is not one OpenAI documents."),
    };

    /// <summary>A failed batch's <c>errors.data</c>, as <c>code: message</c> (with its line), joined.</summary>
    private static string? Errors(JsonElement root)
    {
        if (!root.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object
            || !errors.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
        {
            return null;
        }

        return string.Join("; ", data.EnumerateArray().Select(static e =>
            (e.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number ? $"line {line.GetInt32()}: " : string.Empty)
            + $"{String(e, "code") ?? "error"}: {String(e, "message") ?? "no message"}"));
    }

    private static int Integer(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>One line of an output or error file.</summary>
    /// <param name="CustomId">The request's custom id.</param>
    /// <param name="StatusCode">The status the request was answered with, or <see langword="null"/> when it has none (it never ran).</param>
    /// <param name="Body">The response body.</param>
    /// <param name="Model">The model that answered.</param>
    /// <param name="ErrorCode">The code of a line without a response (<c>batch_expired</c>).</param>
    /// <param name="ErrorMessage">Its message.</param>
    public readonly record struct ResultLine(string CustomId, int? StatusCode, ReadOnlyMemory<byte> Body, string? Model, string? ErrorCode, string? ErrorMessage);
}
