using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace AgentBatch;

/// <summary>An <see cref="IProviderBatchStore"/> in one file: a line of JSON per write, flushed to disk before the write returns.</summary>
/// <remarks>
/// <para>
/// Several runs can share a file; each line names its run. A line cut short by a crash is ignored when the file is read,
/// so the store never fails to open after one. The file holds custom ids, request hashes and batch ids only: no prompt,
/// reply or secret.
/// </para>
/// <para>Safe for concurrent use within a process. Two processes must not write the same file at once.</para>
/// </remarks>
public sealed class FileProviderBatchStore : IProviderBatchStore, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Initializes a new instance of the <see cref="FileProviderBatchStore"/> class.</summary>
    /// <param name="path">The file; created with its folder on the first write.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/>, empty or white space.</exception>
    public FileProviderBatchStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Gets the file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderBatchRecord> ReadAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        string[] lines;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lines = File.Exists(Path) ? await File.ReadAllLinesAsync(Path, cancellationToken).ConfigureAwait(false) : [];
        }
        finally
        {
            _gate.Release();
        }

        var records = new List<ProviderBatchRecord>();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (!TryRead(line, runId, out var key, out var record, out var batchId))
            {
                continue;
            }

            if (record is not null)
            {
                byKey[key] = records.Count;
                records.Add(record);
            }
            else if (batchId is not null && byKey.TryGetValue(key, out var at))
            {
                records[at] = records[at].WithBatchId(batchId);
            }
        }

        foreach (var record in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public Task AddAsync(string runId, ProviderBatchRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(record);
        return AppendAsync(
            writer =>
            {
                writer.WriteString("run", runId);
                writer.WriteString("key", record.Key);
                writer.WriteString("provider", record.Provider);
                writer.WriteString("submittedAt", record.SubmittedAt);
                writer.WriteStartArray("requests");
                foreach (var request in record.Requests)
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(request.CustomId);
                    writer.WriteStringValue(request.RequestKey);
                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
                if (record.BatchId is { } batchId)
                {
                    writer.WriteString("batchId", batchId);
                }
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task SetBatchIdAsync(string runId, string key, string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(batchId);
        return AppendAsync(
            writer =>
            {
                writer.WriteString("run", runId);
                writer.WriteString("key", key);
                writer.WriteString("batchId", batchId);
            },
            cancellationToken);
    }

    private static bool TryRead(string line, string runId, out string key, out ProviderBatchRecord? record, out string? batchId)
    {
        key = string.Empty;
        record = null;
        batchId = null;
        if (string.IsNullOrWhiteSpace(line))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.GetProperty("run").GetString() != runId)
            {
                return false;
            }

            key = root.GetProperty("key").GetString()!;
            batchId = root.TryGetProperty("batchId", out var id) ? id.GetString() : null;
            if (root.TryGetProperty("requests", out var requests))
            {
                var recorded = new List<ProviderBatchRecordedRequest>(requests.GetArrayLength());
                foreach (var pair in requests.EnumerateArray())
                {
                    recorded.Add(new ProviderBatchRecordedRequest(pair[0].GetString()!, pair[1].GetString()!));
                }

                record = new ProviderBatchRecord(key, root.GetProperty("provider").GetString()!, root.GetProperty("submittedAt").GetDateTimeOffset(), recorded, batchId);
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // A line cut short by a crash: what it would have said was never durable.
            return false;
        }
    }

    private async Task AppendAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                if (file.Length > 0 && !await EndsWithNewLineAsync(cancellationToken).ConfigureAwait(false))
                {
                    // After a line cut short, start on a line of its own so the new one reads.
                    await file.WriteAsync(Encoding.UTF8.GetBytes("\n"), cancellationToken).ConfigureAwait(false);
                }

                await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> EndsWithNewLineAsync(CancellationToken cancellationToken)
    {
        var reader = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
        await using (reader.ConfigureAwait(false))
        {
            reader.Seek(-1, SeekOrigin.End);
            var last = new byte[1];
            return await reader.ReadAsync(last, cancellationToken).ConfigureAwait(false) == 1 && last[0] == (byte)'\n';
        }
    }
}
