using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>
/// Writes that must not hold up a model call (a settled reservation, a reconciled rate charge), queued and sent in
/// batches by one loop.
/// </summary>
/// <remarks>
/// Every queued write corrects a charge downwards or to the reported figure: one that is lost (the process dies first,
/// the database is away) leaves the estimate charged, which a cap and a rate window can bear. Disposing writes what is
/// queued.
/// </remarks>
internal sealed class BackgroundWrites : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public BackgroundWrites(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _loop = Task.Run(WriteLoopAsync);
    }

    public void Enqueue(string sql, params (string Name, object Value)[] parameters) => _queue.Writer.TryWrite(new Write(sql, parameters));

    /// <summary>Completes when every write queued before the call has been sent (or failed).</summary>
    public Task FlushAsync()
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(new Write(null, [], flushed)) ? flushed.Task : Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Write>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                await SendAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                PostgreSqlLog.WriteFailed(_logger, ex.GetType().Name);
            }
            finally
            {
                foreach (var write in batch)
                {
                    write.Flushed?.TrySetResult();
                }

                batch.Clear();
            }
        }
    }

    private async Task SendAsync(List<Write> writes)
    {
        if (!writes.Exists(static w => w.Sql is not null))
        {
            return;
        }

        var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                foreach (var write in writes)
                {
                    if (write.Sql is null)
                    {
                        continue;
                    }

                    var command = new NpgsqlBatchCommand(write.Sql);
                    foreach (var (name, value) in write.Parameters)
                    {
                        command.Parameters.AddWithValue(name, value);
                    }

                    batch.BatchCommands.Add(command);
                }

                await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed record Write(string? Sql, (string Name, object Value)[] Parameters, TaskCompletionSource? Flushed = null);
}
