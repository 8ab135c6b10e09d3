using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentBatch.Hosting.PostgreSql.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentBatch.Hosting;

/// <summary>
/// The checkpoint store several document workers share through one PostgreSQL database: the sets and their results,
/// the leases that hand each document to one worker at a time, and the ledgers of the sets' caps and the provider's
/// rate budget.
/// </summary>
/// <remarks>
/// <para>
/// Each instance is one worker: it registers itself in the database when first used and renews its heartbeat, its
/// documents' leases and the sets it is finishing every third of <see cref="AgentBatchPostgreSqlOptions.LeaseDuration"/>.
/// When it stops renewing (the process died, or lost the database), its leases run out and other workers take its
/// documents; a result it then tries to record is refused (the record is fenced by the lease), and what its calls in
/// flight had reserved against a cap counts as spent.
/// </para>
/// <para>
/// The schema (<see cref="AgentBatchPostgreSqlOptions.Schema"/>) is created and migrated when the store is first used,
/// by whichever worker comes first. Safe for concurrent use. The connection string is never logged.
/// </para>
/// </remarks>
public sealed partial class PostgreSqlCheckpointStore : IDocumentLeaseStore, IBatchCheckpointStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly AgentBatchPostgreSqlOptions _options;
    private readonly string _s;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly BackgroundWrites _writes;
    private volatile bool _started;
    private Task? _heartbeat;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlCheckpointStore"/> class.</summary>
    /// <param name="dataSource">The database; the store does not dispose it.</param>
    /// <param name="options">The schema, lease and ledger settings, copied; <see langword="null"/> for defaults (the connection string is the data source's).</param>
    /// <param name="timeProvider">The clock for the store's own waits (leases and windows are timed by the database's clock); <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">The logger; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is out of its range.</exception>
    public PostgreSqlCheckpointStore(
        NpgsqlDataSource dataSource, AgentBatchPostgreSqlOptions? options = null, TimeProvider? timeProvider = null, ILogger<PostgreSqlCheckpointStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var copy = options is null ? new AgentBatchPostgreSqlOptions() : Copy(options);
        if (PostgreSqlOptionsRules.Check(copy, "options", requireConnectionString: false) is { Count: > 0 } failures)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }

        _dataSource = dataSource;
        _options = copy;
        _s = PostgreSqlSchema.Quote(copy.Schema);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _writes = new BackgroundWrites(dataSource, _logger);
    }

    /// <summary>Gets this worker's identity in the database: the owner of its leases and reservations.</summary>
    public Guid WorkerId { get; } = Guid.NewGuid();

    /// <inheritdoc />
    public TimeSpan LeaseDuration => _options.LeaseDuration;

    /// <summary>Creates or migrates the schema and registers this worker, once; every other member does it first when needed.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the store is ready.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_started)
            {
                return;
            }

            await PostgreSqlSchema.EnsureAsync(_dataSource, _options.Schema, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                $"INSERT INTO {_s}.workers (id, host, pid, started_at, heartbeat_at) VALUES (@id, @host, @pid, clock_timestamp(), clock_timestamp())",
                cancellationToken,
                ("id", WorkerId),
                ("host", Environment.MachineName),
                ("pid", Environment.ProcessId)).ConfigureAwait(false);
            _heartbeat = Task.Run(() => HeartbeatAsync(_stopping.Token), CancellationToken.None);
            _started = true;
            PostgreSqlLog.WorkerRegistered(_logger, WorkerId, _options.Schema);
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<DocumentSetCheckpoint> OpenSetAsync(string setName, string? identity = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(setName);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Workers opening the same set at once see one run.
                using (var command = Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('agentbatch-set:' || @name))", ("name", setName)))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var latest = await LatestAsync(connection, transaction, setName, cancellationToken).ConfigureAwait(false);
                DocumentSetCheckpoint run;
                if (latest is not null && latest.State != DocumentSetState.Archived && (identity is null || latest.Identity is null || latest.Identity == identity))
                {
                    run = latest;
                }
                else
                {
                    if (latest is not null && latest.State != DocumentSetState.Archived)
                    {
                        // The run's set was taken out of the inbox unfinished; this is another set under the same name.
                        await SetStateAsync(connection, transaction, latest, DocumentSetState.Archived, cancellationToken).ConfigureAwait(false);
                    }

                    run = await InsertSetAsync(connection, transaction, setName, (latest?.RunNumber ?? 0) + 1, identity, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return run;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsRecordedAsync(DocumentSetCheckpoint run, string documentKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(documentKey);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync($"SELECT 1 FROM {_s}.results WHERE set_id = @set AND key = @key", cancellationToken, ("set", ParseId(run)), ("key", documentKey)).ConfigureAwait(false) is not null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> RecordAsync(DocumentSetCheckpoint run, DocumentResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        await StartAsync(cancellationToken).ConfigureAwait(false);

        // Not under a lease: the document, if the store holds it, is recorded whoever leases it.
        var recorded = await ScalarAsync(
            $"""
            WITH recorded AS (
                INSERT INTO {_s}.results (set_id, key, line) VALUES (@set, @key, @line) ON CONFLICT DO NOTHING RETURNING set_id),
            marked AS (
                UPDATE {_s}.documents SET state = 2, owner = NULL, lease_until = NULL, text = NULL
                WHERE set_id = @set AND key = @key AND EXISTS (SELECT 1 FROM recorded) RETURNING 1)
            SELECT count(*) FROM recorded
            """,
            cancellationToken,
            ("set", ParseId(run)),
            ("key", result.Key),
            ("line", Serialize(result))).ConfigureAwait(false);
        return Convert.ToInt64(recorded, CultureInfo.InvariantCulture) == 1;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<DocumentResult> ReadResultsAsync(DocumentSetCheckpoint run, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(connection, null, $"SELECT line FROM {_s}.results WHERE set_id = @set ORDER BY recorded", ("set", ParseId(run)));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return JsonSerializer.Deserialize(reader.GetString(0), PostgreSqlJsonContext.Default.DocumentResult)
                        ?? throw new InvalidDataException($"The PostgreSQL store holds an empty result for set '{run.SetName}'.");
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task SetStateAsync(DocumentSetCheckpoint run, DocumentSetState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await SetStateAsync(connection, null, run, state, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>A resumable batch's entries (<see cref="BatchCheckpoint{TItem}"/>) are shared like the sets: a rerun on any machine resumes it.</remarks>
    public async IAsyncEnumerable<BatchCheckpointEntry> ReadAsync(string runKey, string fingerprint, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        ArgumentNullException.ThrowIfNull(fingerprint);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(connection, null, $"SELECT entry FROM {_s}.batch_items WHERE run_key = @run AND fingerprint = @fingerprint", ("run", runKey), ("fingerprint", fingerprint));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return JsonSerializer.Deserialize(reader.GetString(0), PostgreSqlJsonContext.Default.BatchCheckpointEntry)
                        ?? throw new InvalidDataException($"The PostgreSQL store holds an empty entry for run '{runKey}'.");
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask RecordAsync(string runKey, string fingerprint, BatchCheckpointEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(entry);
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(
            $"INSERT INTO {_s}.batch_items (run_key, fingerprint, item_key, entry) VALUES (@run, @fingerprint, @key, @entry) ON CONFLICT DO NOTHING",
            cancellationToken,
            ("run", runKey),
            ("fingerprint", fingerprint),
            ("key", entry.ItemKey),
            ("entry", JsonSerializer.Serialize(entry, PostgreSqlJsonContext.Default.BatchCheckpointEntry))).ConfigureAwait(false);
    }

    /// <summary>Stops renewing this worker's leases and writes what is still queued (settlements of calls); its unfinished leases then run out.</summary>
    /// <returns>A task that completes when the store has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _writes.DisposeAsync().ConfigureAwait(false);
        if (_started)
        {
            try
            {
                // Gone: what its calls still reserve counts as spent at once, and its leases are free for others.
                await ExecuteAsync(
                    $"UPDATE {_s}.documents SET lease_until = clock_timestamp() WHERE owner = @id AND state = 1; DELETE FROM {_s}.workers WHERE id = @id",
                    CancellationToken.None,
                    ("id", WorkerId)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                PostgreSqlLog.StopFailed(_logger, ex.GetType().Name);
            }
        }

        _stopping.Dispose();
        _startGate.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Completes when the settlements and reconciliations queued so far are written.</summary>
    internal Task FlushAsync() => _writes.FlushAsync();

    internal static long ParseId(DocumentSetCheckpoint run) =>
        long.TryParse(run.SetId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ArgumentException($"'{run.SetId}' is not a run of this checkpoint store.", nameof(run));

    private static AgentBatchPostgreSqlOptions Copy(AgentBatchPostgreSqlOptions options) => new()
    {
        ConnectionString = options.ConnectionString,
        Schema = options.Schema,
        LeaseDuration = options.LeaseDuration,
        BudgetName = options.BudgetName,
        RateWindow = options.RateWindow,
        PollInterval = options.PollInterval,
    };

    private static string Serialize(DocumentResult result) => JsonSerializer.Serialize(result, PostgreSqlJsonContext.Default.DocumentResult);

    private async Task<DocumentSetCheckpoint?> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string setName, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, $"SELECT id, state, started_at, run, identity FROM {_s}.sets WHERE name = @name ORDER BY id DESC LIMIT 1", ("name", setName));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new DocumentSetCheckpoint(
                    reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
                    setName,
                    (DocumentSetState)reader.GetInt16(1),
                    reader.GetFieldValue<DateTimeOffset>(2),
                    reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4))
                : null;
        }
    }

    private async Task<DocumentSetCheckpoint> InsertSetAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string setName, int run, string? identity, CancellationToken cancellationToken)
    {
        var startedAt = _timeProvider.GetUtcNow();
        using var command = Command(
            connection,
            transaction,
            $"INSERT INTO {_s}.sets (name, run, state, started_at, identity) VALUES (@name, @run, 0, @started, @identity) RETURNING id",
            ("name", setName),
            ("run", run),
            ("started", startedAt),
            ("identity", (object?)identity ?? DBNull.Value));
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new DocumentSetCheckpoint(id.ToString(CultureInfo.InvariantCulture), setName, DocumentSetState.Running, startedAt, run, identity);
    }

    private async Task SetStateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, DocumentSetCheckpoint run, DocumentSetState state, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, $"UPDATE {_s}.sets SET state = @state WHERE id = @set", ("state", (short)state), ("set", ParseId(run)));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renews this worker's heartbeat, the leases of its documents and the sets it finishes, every third of a lease.</summary>
    private async Task HeartbeatAsync(CancellationToken stopping)
    {
        var every = _options.LeaseDuration / 3;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _timeProvider, stopping).ConfigureAwait(false);
                await ExecuteAsync(
                    $"""
                    UPDATE {_s}.workers SET heartbeat_at = clock_timestamp() WHERE id = @id;
                    UPDATE {_s}.documents SET lease_until = clock_timestamp() + @lease WHERE owner = @id AND state = 1;
                    UPDATE {_s}.sets SET finish_until = clock_timestamp() + @lease WHERE finisher = @id AND state = 1;
                    """,
                    stopping,
                    ("id", WorkerId),
                    ("lease", _options.LeaseDuration)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The leases run out if this goes on: other workers then take the documents, and nothing here is recorded twice.
                PostgreSqlLog.HeartbeatFailed(_logger, ex.GetType().Name, _options.LeaseDuration);
            }
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(connection, null, sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="sql"/> on a connection of its own and reads its one row with <paramref name="read"/>.</summary>
    private async Task<T> ReadRowAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(connection, null, sql, parameters);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return read(reader);
            }
        }
    }

    private async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = Command(connection, null, sql, parameters);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
