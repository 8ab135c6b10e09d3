using System.Text.Json;

namespace AgentBatch.Hosting;

/// <summary>What became of one document: one line of a set's <c>results.jsonl</c>.</summary>
public sealed class DocumentResult
{
    /// <summary>Gets the document's name: its path within the set folder, or the <c>name</c> of its JSONL record.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the document's key within the set: its path within the folder, or <c>line:N</c> for a JSONL record.</summary>
    public required string Key { get; init; }

    /// <summary>Gets how the document ended.</summary>
    public required BatchItemStatus Status { get; init; }

    /// <summary>Gets the output: the reply as a JSON string, or the reply's JSON for a profile with JSON output; <see langword="null"/> unless succeeded.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Gets the tokens the document used, if any call was made.</summary>
    public DocumentUsage? Usage { get; init; }

    /// <summary>Gets the document's cost, or 0 when no price is known.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Gets the number of requests sent for the document, retries included.</summary>
    public int Attempts { get; init; }

    /// <summary>Gets why the document failed or was skipped; <see langword="null"/> when it succeeded.</summary>
    public string? Error { get; init; }

    /// <summary>Gets how long the document took, in milliseconds.</summary>
    public double DurationMs { get; init; }
}
