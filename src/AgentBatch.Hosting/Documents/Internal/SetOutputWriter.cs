using System.Text;
using System.Text.Json;

namespace AgentBatch.Hosting.Internal;

/// <summary>Writes a set's output folder: <c>results.jsonl</c>, <c>summary.json</c>, <c>results.csv</c> and per-document files.</summary>
/// <remarks>
/// <c>results.jsonl</c> is rebuilt from the checkpoint store whenever a run opens, then appended one whole line per
/// write call, so a process killed at any instant leaves whole lines only; the other files are written to a temporary
/// name and renamed into place.
/// </remarks>
internal sealed class SetOutputWriter : IDisposable
{
    public const string ResultsFileName = "results.jsonl";
    public const string SummaryFileName = "summary.json";
    public const string CsvFileName = "results.csv";
    public const string DocumentsFolderName = "documents";

    private FileStream? _results;

    public SetOutputWriter(string folder)
    {
        Folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>Rewrites <c>results.jsonl</c> from the recorded results and opens it for appending.</summary>
    /// <returns>The totals of what was recorded before.</returns>
    public async Task<SetTotals> RebuildAsync(IAsyncEnumerable<DocumentResult> recorded, CancellationToken cancellationToken)
    {
        _results?.Dispose();
        var totals = new SetTotals();
        var path = Path.Combine(Folder, ResultsFileName);
        await WriteAtomicallyAsync(
            path,
            async stream =>
            {
                await foreach (var result in recorded.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    totals.Add(result);
                    await stream.WriteAsync(Line(result), cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken).ConfigureAwait(false);

        // Unbuffered: each line goes to the file in one write call.
        _results = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        return totals;
    }

    public void Append(DocumentResult result)
    {
        var stream = _results ?? throw new InvalidOperationException("The results file is not open.");
        stream.Write(Line(result));
    }

    public Task WriteSummaryAsync(DocumentSetSummary summary, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(
            Path.Combine(Folder, SummaryFileName),
            stream => JsonSerializer.SerializeAsync(stream, summary, HostingJsonContext.Indented.DocumentSetSummary, cancellationToken),
            cancellationToken);

    public Task WriteCsvAsync(IAsyncEnumerable<DocumentResult> results, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(
            Path.Combine(Folder, CsvFileName),
            async stream =>
            {
                var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                await using (writer.ConfigureAwait(false))
                {
                    await writer.WriteLineAsync(Csv.Row("name", "key", "status", "output", "input_tokens", "output_tokens", "cost", "attempts", "duration_ms", "error")).ConfigureAwait(false);
                    await foreach (var r in results.WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        await writer.WriteLineAsync(Csv.Row(
                            r.Name, r.Key, r.Status.ToString(), OutputText(r), r.Usage?.InputTokens, r.Usage?.OutputTokens, r.Cost, r.Attempts, r.DurationMs, r.Error)).ConfigureAwait(false);
                    }
                }
            },
            cancellationToken);

    /// <summary>Writes each succeeded document's output to <c>documents/NAME.txt</c> (or <c>.json</c>).</summary>
    public async Task WriteDocumentFilesAsync(IAsyncEnumerable<DocumentResult> results, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Folder, DocumentsFolderName);
        await foreach (var result in results.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (result.Output is not { } output)
            {
                continue;
            }

            var extension = output.ValueKind == JsonValueKind.String ? ".txt" : ".json";
            var path = Path.GetFullPath(Path.Combine(root, result.Name + extension));
            if (!DocumentNames.IsSafe(result.Name) || !DocumentNames.IsInside(root, path))
            {
                // Names are checked when read; this guards stores written by other code.
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var bytes = output.ValueKind == JsonValueKind.String
                ? Encoding.UTF8.GetBytes(output.GetString()!)
                : JsonSerializer.SerializeToUtf8Bytes(output, HostingJsonContext.Indented.JsonElement);
            await WriteAtomicallyAsync(path, stream => stream.WriteAsync(bytes, cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _results?.Dispose();

    private static string? OutputText(DocumentResult result) =>
        result.Output is not { } output ? null : output.ValueKind == JsonValueKind.String ? output.GetString() : output.GetRawText();

    private static byte[] Line(DocumentResult result)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(result, HostingJsonContext.Default.DocumentResult);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    private static async Task WriteAtomicallyAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            await write(stream).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
