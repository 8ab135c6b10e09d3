using System.Globalization;
using AgentBatch.Hosting.PostgreSql.Internal;
using Npgsql;
using NpgsqlTypes;

namespace AgentBatch.Hosting;

/// <summary>Work leases: documents taken into the store once, leased in order with <c>FOR UPDATE SKIP LOCKED</c>, recorded under a fence.</summary>
/// <remarks>
/// <para>
/// A document is pending (0), leased (1) or recorded (2). A claim takes pending documents whose retry time has come, and
/// leased ones whose lease ran out, in the set's order; concurrent claims skip each other's rows instead of waiting, and
/// each claim raises the document's fence. Recording updates the row only while it is still leased to this worker under
/// that fence, and inserts the result in the same statement: a worker whose lease was taken records nothing, and a
/// recorded document is never leased again.
/// </para>
/// <para>The database's clock times every lease, so workers on machines whose clocks differ agree.</para>
/// </remarks>
public sealed partial class PostgreSqlCheckpointStore
{
    /// <inheritdoc />
    public async Task<bool> AddDocumentsAsync(DocumentSetCheckpoint run, Func<IEnumerable<SetDocument>> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(documents);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var setId = ParseId(run);
        if (await ScalarAsync($"SELECT documents_added FROM {_s}.sets WHERE id = @set", cancellationToken, ("set", setId)).ConfigureAwait(false) is true)
        {
            return false;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // The set's row is the lock: a second worker waits here until the first has added them, then finds them added.
                using (var locked = Command(connection, transaction, $"SELECT documents_added FROM {_s}.sets WHERE id = @set FOR UPDATE", ("set", setId)))
                {
                    if (await locked.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                    {
                        return false;
                    }
                }

                var importer = await connection.BeginBinaryImportAsync(
                    $"COPY {_s}.documents (set_id, seq, key, name, text, problem) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
                await using (importer.ConfigureAwait(false))
                {
                    var seq = 0;
                    foreach (var document in documents())
                    {
                        await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(setId, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(seq++, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(document.Key, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(document.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await WriteNullableAsync(importer, document.Text, cancellationToken).ConfigureAwait(false);
                        await WriteNullableAsync(importer, document.Problem, cancellationToken).ConfigureAwait(false);
                    }

                    await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                }

                using (var added = Command(connection, transaction, $"UPDATE {_s}.sets SET documents_added = true WHERE id = @set", ("set", setId)))
                {
                    await added.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DocumentLease>> ClaimAsync(DocumentSetCheckpoint run, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(
                connection,
                null,
                $"""
                UPDATE {_s}.documents d
                SET state = 1, owner = @me, lease_until = clock_timestamp() + @lease, fence = d.fence + 1, retry_at = NULL, released_by = NULL
                FROM (
                    SELECT set_id, seq FROM {_s}.documents
                    WHERE set_id = @set AND state < 2
                      AND ((state = 0 AND (retry_at IS NULL OR retry_at <= clock_timestamp() OR released_by IS DISTINCT FROM @me))
                           OR (state = 1 AND lease_until < clock_timestamp()))
                    ORDER BY seq
                    LIMIT @count
                    FOR UPDATE SKIP LOCKED) claimable
                WHERE d.set_id = claimable.set_id AND d.seq = claimable.seq
                RETURNING d.seq, d.key, d.name, d.text, d.problem, d.fence
                """,
                ("me", WorkerId),
                ("lease", _options.LeaseDuration),
                ("set", ParseId(run)),
                ("count", count));
            var leases = new List<(int Seq, DocumentLease Lease)>(count);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var document = new SetDocument(reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
                    leases.Add((reader.GetInt32(0), new DocumentLease(run, document, reader.GetInt64(5))));
                }
            }

            // RETURNING keeps no order: the set's own order is restored here.
            leases.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
            return leases.ConvertAll(static l => l.Lease);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> RecordAsync(DocumentLease lease, DocumentResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(result);
        await StartAsync(cancellationToken).ConfigureAwait(false);

        // Fenced: only the lease this worker holds now, under the token it was given, may record.
        var recorded = await ScalarAsync(
            $"""
            WITH fenced AS (
                UPDATE {_s}.documents SET state = 2, owner = NULL, lease_until = NULL, text = NULL
                WHERE set_id = @set AND key = @key AND state = 1 AND owner = @me AND fence = @fence
                RETURNING set_id),
            recorded AS (
                INSERT INTO {_s}.results (set_id, key, line) SELECT set_id, @key, @line FROM fenced ON CONFLICT DO NOTHING RETURNING 1)
            SELECT count(*) FROM recorded
            """,
            cancellationToken,
            ("set", ParseId(lease.Run)),
            ("key", lease.Document.Key),
            ("me", WorkerId),
            ("fence", lease.Fence),
            ("line", Serialize(result))).ConfigureAwait(false);
        return Convert.ToInt64(recorded, CultureInfo.InvariantCulture) == 1;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(DocumentLease lease, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(
            $"""
            UPDATE {_s}.documents
            SET state = 0, owner = NULL, lease_until = NULL,
                retry_at = CASE WHEN @wait > interval '0' THEN clock_timestamp() + @wait END,
                released_by = CASE WHEN @wait > interval '0' THEN @me END
            WHERE set_id = @set AND key = @key AND state = 1 AND owner = @me AND fence = @fence
            """,
            cancellationToken,
            ("wait", retryAfter),
            ("set", ParseId(lease.Run)),
            ("key", lease.Document.Key),
            ("me", WorkerId),
            ("fence", lease.Fence)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DocumentSetProgress> GetProgressAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await StartAsync(cancellationToken).ConfigureAwait(false);

        // A lease that ran out is as good as pending: the next claim takes it.
        return await ReadRowAsync(
            $"""
            SELECT
                count(*) FILTER (WHERE (state = 0 AND (retry_at IS NULL OR retry_at <= now OR released_by IS DISTINCT FROM @me)) OR (state = 1 AND lease_until < now)),
                count(*) FILTER (WHERE state = 0 AND retry_at > now AND released_by = @me),
                count(*) FILTER (WHERE state = 1 AND lease_until >= now),
                count(*) FILTER (WHERE state = 2)
            FROM {_s}.documents, (SELECT clock_timestamp() AS now) clock
            WHERE set_id = @set
            """,
            static reader => new DocumentSetProgress((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3)),
            cancellationToken,
            ("set", ParseId(run)),
            ("me", WorkerId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> TryBeginFinishAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await StartAsync(cancellationToken).ConfigureAwait(false);

        // One statement: the set is complete, and no other live worker is finishing it.
        var taken = await ExecuteAsync(
            $"""
            UPDATE {_s}.sets SET state = 1, finisher = @me, finish_until = clock_timestamp() + @lease
            WHERE id = @set AND state IN (0, 1)
              AND (finisher IS NULL OR finisher = @me OR finish_until < clock_timestamp())
              AND NOT EXISTS (SELECT 1 FROM {_s}.documents WHERE set_id = @set AND state < 2)
            """,
            cancellationToken,
            ("me", WorkerId),
            ("lease", _options.LeaseDuration),
            ("set", ParseId(run))).ConfigureAwait(false);
        return taken == 1;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
