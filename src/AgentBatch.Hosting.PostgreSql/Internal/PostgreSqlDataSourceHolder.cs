using Npgsql;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>The data source the registration builds, kept under a type of its own so an app's own <see cref="NpgsqlDataSource"/> is neither replaced nor disposed.</summary>
internal sealed class PostgreSqlDataSourceHolder(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
