using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>Checks <see cref="AgentBatchPostgreSqlOptions"/> when the host starts, naming each bad setting by its configuration path.</summary>
internal sealed class AgentBatchPostgreSqlOptionsValidator : IValidateOptions<AgentBatchPostgreSqlOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentBatchPostgreSqlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = PostgreSqlOptionsRules.Check(options, AgentBatchPostgreSqlOptions.SectionName, requireConnectionString: true);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
