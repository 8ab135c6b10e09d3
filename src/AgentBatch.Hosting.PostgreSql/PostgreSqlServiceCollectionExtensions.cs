using AgentBatch;
using AgentBatch.Hosting;
using AgentBatch.Hosting.PostgreSql.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL store that lets several AgentBatch document workers share their inbox, their rate budget and their sets' caps.</summary>
public static class PostgreSqlServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PostgreSqlCheckpointStore"/> as the document worker's checkpoint store, with
    /// <see cref="AgentBatchPostgreSqlOptions"/> bound from the <c>AgentBatch:PostgreSql</c> section (the connection string
    /// from there or from <c>ConnectionStrings:AgentBatch</c>) and validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the options after they are bound from configuration; <see langword="null"/> for none.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// <para>
    /// Call it with <c>AddAgentBatchWorker()</c>, before or after: it replaces the embedded SQLite store. Every worker
    /// registered this way against the same database and schema shares the inbox's sets (leased one document at a time to
    /// one worker), paces its calls with the others under the same <see cref="AgentBatchPostgreSqlOptions.BudgetName"/>,
    /// and holds each set's <c>MaxTotalTokens</c> and <c>MaxCost</c> together with them. The schema is created or migrated
    /// when the host starts.
    /// </para>
    /// <para>
    /// The inbox (and the processed folder) must be one folder every worker sees, a network share when they run on several
    /// machines: sets are found there and archived there. Documents are read from it once, when a set's run is first
    /// opened, and taken into the database; the workers then send what the database holds. Each set's outputs are written
    /// to <c>OutputPath</c> by the worker that finishes it: share that folder too, or read the results from the store.
    /// </para>
    /// </remarks>
    public static IServiceCollection AddAgentBatchPostgreSql(this IServiceCollection services, Action<AgentBatchPostgreSqlOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AgentBatchPostgreSqlOptions>();
        if (!services.Any(d => d.ImplementationType == typeof(AgentBatchPostgreSqlOptionsValidator)))
        {
            // Bound before any configure callback, so code wins over configuration.
            options.Configure<IConfiguration>(static (value, configuration) =>
            {
                var section = configuration.GetSection(AgentBatchPostgreSqlOptions.SectionName);
                var unknown = UnknownKeys(section);
                if (unknown.Count > 0)
                {
                    throw new OptionsValidationException(Options.Options.DefaultName, typeof(AgentBatchPostgreSqlOptions), unknown);
                }

                section.Bind(value);
                if (string.IsNullOrWhiteSpace(value.ConnectionString))
                {
                    value.ConnectionString = configuration.GetConnectionString(AgentBatchPostgreSqlOptions.ConnectionStringName);
                }
            }).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentBatchPostgreSqlOptions>, AgentBatchPostgreSqlOptionsValidator>());
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton(static sp => new PostgreSqlDataSourceHolder(
                new NpgsqlDataSourceBuilder(sp.GetRequiredService<IOptions<AgentBatchPostgreSqlOptions>>().Value.ConnectionString)
                    .UseLoggerFactory(sp.GetService<ILoggerFactory>())
                    .Build()));
            services.AddSingleton(static sp => new PostgreSqlCheckpointStore(
                sp.GetRequiredService<PostgreSqlDataSourceHolder>().DataSource,
                sp.GetRequiredService<IOptions<AgentBatchPostgreSqlOptions>>().Value,
                sp.GetService<TimeProvider>(),
                sp.GetService<ILogger<PostgreSqlCheckpointStore>>()));
            services.RemoveAll<IDocumentCheckpointStore>();
            services.AddSingleton<IDocumentCheckpointStore>(static sp => sp.GetRequiredService<PostgreSqlCheckpointStore>());

            // Before the worker's first scan: the schema is there, and a bad database stops the host at start-up.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, PostgreSqlStoreStarter>());
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        return services;
    }

    private static List<string> UnknownKeys(IConfigurationSection section)
    {
        var known = typeof(AgentBatchPostgreSqlOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return section.GetChildren()
            .Where(child => !known.Contains(child.Key))
            .Select(child => $"{section.Path}:{child.Key} is not a setting; the settings are {string.Join(", ", known.Order(StringComparer.Ordinal))}.")
            .ToList();
    }
}
