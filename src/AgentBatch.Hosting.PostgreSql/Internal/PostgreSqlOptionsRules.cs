using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>The rules of <see cref="AgentBatchPostgreSqlOptions"/>, one message per broken rule, each naming its setting by <c>path:Name</c>.</summary>
/// <remarks>Messages never echo the connection string: it holds a password.</remarks>
internal static partial class PostgreSqlOptionsRules
{
    public static List<string> Check(AgentBatchPostgreSqlOptions options, string path, bool requireConnectionString)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            if (requireConnectionString)
            {
                failures.Add($"{path}:ConnectionString is required (or ConnectionStrings:{AgentBatchPostgreSqlOptions.ConnectionStringName}): the PostgreSQL database the workers share.");
            }
        }
        else
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                // The builder's message names the keyword, not the value.
                failures.Add($"{path}:ConnectionString is not a valid PostgreSQL connection string: {ex.Message}");
            }
        }

        if (options.Schema is null || !Identifier().IsMatch(options.Schema))
        {
            failures.Add($"{path}:Schema must be a plain lowercase identifier (letters, digits and '_', starting with a letter or '_', at most 63 characters); it is '{options.Schema}'.");
        }

        Range(failures, $"{path}:LeaseDuration", options.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(failures, $"{path}:RateWindow", options.RateWindow, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(failures, $"{path}:PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        if (string.IsNullOrWhiteSpace(options.BudgetName))
        {
            failures.Add($"{path}:BudgetName must not be empty: it names the rate budget the workers share.");
        }

        return failures;
    }

    private static void Range(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min:c} and {max:c}; it is {value:c}."));
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
