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
/// It also keeps the provider batches of sets run through the provider's batch API (<see cref="IProviderBatchStore"/>):
/// a record before each batch is created and its id right after, so a restarted worker re-attaches to them.
/// </para>
/// </remarks>
public sealed partial class SqliteCheckpointStore : IDocumentCheckpointStore, IDisposable
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
}
