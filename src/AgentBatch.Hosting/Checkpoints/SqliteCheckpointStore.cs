using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentBatch.Hosting.Internal;
using Microsoft.Data.Sqlite;

namespace AgentBatch.Hosting;

/// <summary>The embedded checkpoint store: one SQLite file, written ahead of <c>results.jsonl</c>.</summary>
/// <remarks>
/// <para>
/// Each result is committed in its own transaction before the worker writes its line, so a process killed at any instant
/// loses no finished document: on restart the worker rebuilds <c>results.jsonl</c> from this store. The database runs
/// in write-ahead-log mode; a power loss (not a process crash) may roll back the last commits, whose documents then run
/// again. Safe for concurrent use.
/// </para>
/// <para>
/// What a run's calls spend against its caps is journaled too (<see cref="OpenSpendLedgerAsync"/>): each reservation is
/// written before its call is sent and replaced by the call's charge when it settles, so what was in flight when the
/// process died counts as spent when the run opens again. The store is one worker's: the worker holds its inbox while
/// it runs, and a reservation found when a run opens can only be a dead process's.
/// </para>
/// <para>
/// It also keeps the provider batches of sets run through the provider's batch API (<see cref="IProviderBatchStore"/>):
/// a record before each batch is created and its id right after, so a restarted worker re-attaches to them.
/// </para>
/// </remarks>
public sealed partial class SqliteCheckpointStore : IDocumentCheckpointStore, IBatchCheckpointStore, IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS sets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            run INTEGER NOT NULL,
            state INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            identity TEXT NULL);
        CREATE INDEX IF NOT EXISTS sets_by_name ON sets (name, id);
        CREATE TABLE IF NOT EXISTS results (
            set_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            line TEXT NOT NULL,
            PRIMARY KEY (set_id, key));
        CREATE TABLE IF NOT EXISTS spend (
            set_id INTEGER PRIMARY KEY,
            tokens INTEGER NOT NULL,
            cost TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS batch_items (
            run_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            item_key TEXT NOT NULL,
            entry TEXT NOT NULL,
            PRIMARY KEY (run_key, fingerprint, item_key));
        CREATE TABLE IF NOT EXISTS reservations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            set_id INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            cost TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS provider_batches (
            run TEXT NOT NULL,
            key TEXT NOT NULL,
            provider TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            requests TEXT NOT NULL,
            batch_id TEXT NULL,
            PRIMARY KEY (run, key));
        """;

    private readonly string _connectionString;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly Lazy<(SqliteConnection Writer, SqliteConnection Reader)> _connections;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointStore"/> class over a database file, created if missing.</summary>
    /// <param name="databasePath">The SQLite file; its folder is created if missing.</param>
    /// <param name="timeProvider">The clock that stamps runs; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="databasePath"/> is <see langword="null"/> or empty.</exception>
    public SqliteCheckpointStore(string databasePath, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 30,
        }.ToString();
        _connections = new Lazy<(SqliteConnection, SqliteConnection)>(Open, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public async Task<DocumentSetCheckpoint> OpenSetAsync(string setName, string? identity = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(setName);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = Connections.Writer;
            var latest = Latest(connection, setName);
            if (latest is null)
            {
                return Insert(connection, setName, 1, identity);
            }

            if (latest.State != DocumentSetState.Archived)
            {
                if (identity is null || latest.Identity is null || latest.Identity == identity)
                {
                    return latest;
                }

                // The run's set was taken out of the inbox unfinished; this is another set under the same name.
                SetState(connection, latest, DocumentSetState.Archived);
            }

            return Insert(connection, setName, latest.RunNumber + 1, identity);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsRecordedAsync(DocumentSetCheckpoint run, string documentKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(documentKey);
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Reader.CreateCommand();
            command.CommandText = "SELECT 1 FROM results WHERE set_id = $set AND key = $key";
            command.Parameters.AddWithValue("$set", ParseId(run));
            command.Parameters.AddWithValue("$key", documentKey);
            return command.ExecuteScalar() is not null;
        }
        finally
        {
            _readGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> RecordAsync(DocumentSetCheckpoint run, DocumentResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var line = JsonSerializer.Serialize(result, HostingJsonContext.Default.DocumentResult);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Writer.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO results (set_id, key, line) VALUES ($set, $key, $line)";
            command.Parameters.AddWithValue("$set", ParseId(run));
            command.Parameters.AddWithValue("$key", result.Key);
            command.Parameters.AddWithValue("$line", line);
            return command.ExecuteNonQuery() == 1;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<DocumentResult> ReadResultsAsync(
        DocumentSetCheckpoint run, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A connection of its own, so a long read never holds up recording.
        var connection = OpenConnection();
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT line FROM results WHERE set_id = $set ORDER BY rowid";
            command.Parameters.AddWithValue("$set", ParseId(run));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return JsonSerializer.Deserialize(reader.GetString(0), HostingJsonContext.Default.DocumentResult)
                        ?? throw new InvalidDataException($"The checkpoint store '{DatabasePath}' holds an empty result for set '{run.SetName}'.");
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task SetStateAsync(DocumentSetCheckpoint run, DocumentSetState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SetState(Connections.Writer, run, state);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reservations left by a process that died are charged to the run whole. A run from before the journal existed starts
    /// from what its recorded results report.
    /// </remarks>
    public async ValueTask<SpendLedger> OpenSpendLedgerAsync(DocumentSetCheckpoint run, long? maxTotalTokens, decimal? maxCost, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var setId = ParseId(run);
        var recorded = await RecordedSpendAsync(run, cancellationToken).ConfigureAwait(false);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = Connections.Writer;
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.Parameters.AddWithValue("$set", setId);
            command.Parameters.AddWithValue("$tokens", recorded.Tokens);
            command.Parameters.AddWithValue("$cost", Format(recorded.Cost));
            command.CommandText = "INSERT OR IGNORE INTO spend (set_id, tokens, cost) VALUES ($set, $tokens, $cost)";
            command.ExecuteNonQuery();

            // What calls in flight had reserved when the process died may have been billed: it is spent.
            var (tokens, cost) = Spent(connection, transaction, setId);
            command.CommandText = "SELECT tokens, cost FROM reservations WHERE set_id = $set";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    tokens += reader.GetInt64(0);
                    cost += Parse(reader.GetString(1));
                }
            }

            command.CommandText = "DELETE FROM reservations WHERE set_id = $set";
            command.ExecuteNonQuery();
            SetSpent(connection, transaction, setId, tokens, cost);
            transaction.Commit();
            return new JournaledSpendLedger(new Journal(this, setId), maxTotalTokens, maxCost, tokens, cost);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>A resumable batch's entries (<see cref="BatchCheckpoint{TItem}"/>) live beside the worker's sets, in a table of their own.</remarks>
    public async IAsyncEnumerable<BatchCheckpointEntry> ReadAsync(string runKey, string fingerprint, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ = Connections;
        var connection = OpenConnection();
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT entry FROM batch_items WHERE run_key = $run AND fingerprint = $fingerprint";
            command.Parameters.AddWithValue("$run", runKey);
            command.Parameters.AddWithValue("$fingerprint", fingerprint);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return JsonSerializer.Deserialize(reader.GetString(0), HostingJsonContext.Default.BatchCheckpointEntry)
                        ?? throw new InvalidDataException($"The checkpoint store '{DatabasePath}' holds an empty entry for run '{runKey}'.");
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
        var json = JsonSerializer.Serialize(entry, HostingJsonContext.Default.BatchCheckpointEntry);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Connections.Writer.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO batch_items (run_key, fingerprint, item_key, entry) VALUES ($run, $fingerprint, $key, $entry)";
            command.Parameters.AddWithValue("$run", runKey);
            command.Parameters.AddWithValue("$fingerprint", fingerprint);
            command.Parameters.AddWithValue("$key", entry.ItemKey);
            command.Parameters.AddWithValue("$entry", json);
            command.ExecuteNonQuery();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the store's connections.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_connections.IsValueCreated)
        {
            _connections.Value.Writer.Dispose();
            _connections.Value.Reader.Dispose();
        }

        _writeGate.Dispose();
        _readGate.Dispose();
    }

    private (SqliteConnection Writer, SqliteConnection Reader) Connections
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _connections.Value;
        }
    }

    private static long ParseId(DocumentSetCheckpoint set) =>
        long.TryParse(set.SetId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ArgumentException($"'{set.SetId}' is not a run of this checkpoint store.", nameof(set));

    private static DocumentSetCheckpoint? Latest(SqliteConnection connection, string setName)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, state, started_at, run, identity FROM sets WHERE name = $name ORDER BY id DESC LIMIT 1";
        command.Parameters.AddWithValue("$name", setName);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new DocumentSetCheckpoint(
                reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
                setName,
                (DocumentSetState)reader.GetInt32(1),
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4))
            : null;
    }

    private static void SetState(SqliteConnection connection, DocumentSetCheckpoint run, DocumentSetState state)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE sets SET state = $state WHERE id = $set";
        command.Parameters.AddWithValue("$state", (int)state);
        command.Parameters.AddWithValue("$set", ParseId(run));
        command.ExecuteNonQuery();
    }

    private DocumentSetCheckpoint Insert(SqliteConnection connection, string setName, int run, string? identity)
    {
        var startedAt = _timeProvider.GetUtcNow();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO sets (name, run, state, started_at, identity) VALUES ($name, $run, $state, $started, $identity); SELECT last_insert_rowid();";
        command.Parameters.AddWithValue("$name", setName);
        command.Parameters.AddWithValue("$run", run);
        command.Parameters.AddWithValue("$state", (int)DocumentSetState.Running);
        command.Parameters.AddWithValue("$started", startedAt.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$identity", (object?)identity ?? DBNull.Value);
        var id = (long)command.ExecuteScalar()!;
        return new DocumentSetCheckpoint(id.ToString(CultureInfo.InvariantCulture), setName, DocumentSetState.Running, startedAt, run, identity);
    }

    private async Task<(long Tokens, decimal Cost)> RecordedSpendAsync(DocumentSetCheckpoint run, CancellationToken cancellationToken)
    {
        var (tokens, cost) = (0L, 0m);
        await foreach (var result in ReadResultsAsync(run, cancellationToken).ConfigureAwait(false))
        {
            tokens += result.Usage?.TotalTokens ?? 0;
            cost += result.Cost ?? 0m;
        }

        return (tokens, cost);
    }

    private static (long Tokens, decimal Cost) Spent(SqliteConnection connection, SqliteTransaction? transaction, long setId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT tokens, cost FROM spend WHERE set_id = $set";
        command.Parameters.AddWithValue("$set", setId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), Parse(reader.GetString(1))) : (0, 0m);
    }

    private static void SetSpent(SqliteConnection connection, SqliteTransaction? transaction, long setId, long tokens, decimal cost)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO spend (set_id, tokens, cost) VALUES ($set, $tokens, $cost) ON CONFLICT (set_id) DO UPDATE SET tokens = excluded.tokens, cost = excluded.cost";
        command.Parameters.AddWithValue("$set", setId);
        command.Parameters.AddWithValue("$tokens", tokens);
        command.Parameters.AddWithValue("$cost", Format(cost));
        command.ExecuteNonQuery();
    }

    private static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal Parse(string value) => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>Runs a journal write under the write gate, synchronously: a ledger settles without waiting on anything else.</summary>
    private T Write<T>(Func<SqliteConnection, T> write)
    {
        _writeGate.Wait();
        try
        {
            return write(Connections.Writer);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private (SqliteConnection Writer, SqliteConnection Reader) Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var writer = OpenConnection();
        using (var schema = writer.CreateCommand())
        {
            schema.CommandText = Schema;
            schema.ExecuteNonQuery();
        }

        return (writer, OpenConnection());
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();

        // In WAL mode, NORMAL commits survive a process crash (the case the worker must survive) without an fsync per
        // document; only a power loss can roll back the last few, whose documents then run again.
        pragma.CommandText = "PRAGMA synchronous = NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>One run's spend journal in this store.</summary>
    private sealed class Journal(SqliteCheckpointStore store, long setId) : ISpendJournal
    {
        public long Reserve(long tokens, decimal cost) => store.Write(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO reservations (set_id, tokens, cost) VALUES ($set, $tokens, $cost); SELECT last_insert_rowid();";
            command.Parameters.AddWithValue("$set", setId);
            command.Parameters.AddWithValue("$tokens", tokens);
            command.Parameters.AddWithValue("$cost", Format(cost));
            return (long)command.ExecuteScalar()!;
        });

        public void Settle(long reservationId, long tokens, decimal cost) => store.Write(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM reservations WHERE id = $id";
            command.Parameters.AddWithValue("$id", reservationId);
            command.ExecuteNonQuery();
            Add(connection, transaction, tokens, cost);
            transaction.Commit();
            return 0;
        });

        public void Charge(long tokens, decimal cost) => store.Write(connection =>
        {
            Add(connection, null, tokens, cost);
            return 0;
        });

        private void Add(SqliteConnection connection, SqliteTransaction? transaction, long tokens, decimal cost)
        {
            var (spentTokens, spentCost) = Spent(connection, transaction, setId);
            SetSpent(connection, transaction, setId, spentTokens + tokens, spentCost + cost);
        }
    }
}
