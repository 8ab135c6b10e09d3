using Microsoft.Extensions.Hosting;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>Creates or migrates the schema and registers the worker when the host starts, before the worker's first scan.</summary>
internal sealed class PostgreSqlStoreStarter(PostgreSqlCheckpointStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
