namespace AgentBatch.Hosting;

/// <summary>
/// The settings of the PostgreSQL store that several document workers share, bound from the <c>AgentBatch:PostgreSql</c>
/// configuration section (the connection string may also come from <c>ConnectionStrings:AgentBatch</c>).
/// </summary>
public sealed class AgentBatchPostgreSqlOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "AgentBatch:PostgreSql";

    /// <summary>The name under <c>ConnectionStrings</c> the connection string is read from when the section has none.</summary>
    public const string ConnectionStringName = "AgentBatch";

    /// <summary>Gets or sets the Npgsql connection string of the database every worker shares.</summary>
    /// <value>Required. Keep its password out of files: an environment variable (<c>ConnectionStrings__AgentBatch</c>) or user secrets. It is never logged.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the database schema AgentBatch's tables live in, created if missing.</summary>
    /// <value>The default value is <c>agentbatch</c>. Lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters.</value>
    public string Schema { get; set; } = "agentbatch";

    /// <summary>Gets or sets how long a document's lease lasts after its worker last renewed it; a worker renews its leases every third of it.</summary>
    /// <value>The default value is 30 seconds. Between 1 second and 1 hour. A dead worker's documents are leased again within it.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the name of the rate budget the workers pace their calls under together: one per provider key.</summary>
    /// <value>The default value is <c>default</c>. Workers and batches with the same budget name share one tokens- and requests-per-minute window.</value>
    public string BudgetName { get; set; } = "default";

    /// <summary>Gets or sets the sliding window the provider's per-minute limits are counted over.</summary>
    /// <value>The default value is 1 minute, as providers count. Between 1 second and 1 hour; a test against a mock with a shorter window may shorten it.</value>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how often a call waiting for room under a shared limit or cap looks again, when nothing says sooner.</summary>
    /// <value>The default value is 100 milliseconds. Between 1 millisecond and 10 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
