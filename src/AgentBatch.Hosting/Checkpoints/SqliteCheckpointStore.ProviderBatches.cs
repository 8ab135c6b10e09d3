using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace AgentBatch.Hosting;

/// <summary>The provider batches of sets run through the provider's batch API: one row per batch, its requests as JSON.</summary>
public sealed partial class SqliteCheckpointStore : IProviderBatchStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderBatchRecord> ReadAsync(string runId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        var records = new List<ProviderBatchRecord>();
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Reader.CreateCommand();
            command.CommandText = "SELECT key, provider, submitted_at, requests, batch_id FROM provider_batches WHERE run = $run ORDER BY rowid";
            command.Parameters.AddWithValue("$run", runId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                records.Add(new ProviderBatchRecord(
                    reader.GetString(0),
                    reader.GetString(1),
                    DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                    ReadRequests(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }
        finally
        {
            _readGate.Release();
        }

        foreach (var record in records)
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public async Task AddAsync(string runId, ProviderBatchRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(record);
        var requests = WriteRequests(record.Requests);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Writer.CreateCommand();
            command.CommandText = """
                INSERT OR REPLACE INTO provider_batches (run, key, provider, submitted_at, requests, batch_id)
                VALUES ($run, $key, $provider, $submitted, $requests, $batch)
                """;
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$key", record.Key);
            command.Parameters.AddWithValue("$provider", record.Provider);
            command.Parameters.AddWithValue("$submitted", record.SubmittedAt.ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$requests", requests);
            command.Parameters.AddWithValue("$batch", (object?)record.BatchId ?? DBNull.Value);
            command.ExecuteNonQuery();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task SetBatchIdAsync(string runId, string key, string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(batchId);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Writer.CreateCommand();
            command.CommandText = "UPDATE provider_batches SET batch_id = $batch WHERE run = $run AND key = $key";
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$batch", batchId);
            command.ExecuteNonQuery();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The requests as <c>[["custom id", "request key"], ...]</c>.</summary>
    private static string WriteRequests(IReadOnlyList<ProviderBatchRecordedRequest> requests)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var request in requests)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(request.CustomId);
                writer.WriteStringValue(request.RequestKey);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static List<ProviderBatchRecordedRequest> ReadRequests(string json)
    {
        using var document = JsonDocument.Parse(json);
        var requests = new List<ProviderBatchRecordedRequest>(document.RootElement.GetArrayLength());
        foreach (var pair in document.RootElement.EnumerateArray())
        {
            requests.Add(new ProviderBatchRecordedRequest(pair[0].GetString()!, pair[1].GetString()!));
        }

        return requests;
    }
}
