using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>
/// Checks the <see cref="BatchOptions"/> bound from the <c>AgentBatch</c> section at start-up with the options' own
/// validation (their declared ranges and the rules between settings), naming each bad setting by its configuration path.
/// </summary>
internal sealed class BatchOptionsValidator : IValidateOptions<BatchOptions>
{
    private const string Section = AgentBatchHostingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name is not null && name != Options.DefaultName)
        {
            // Only the default instance is bound from the section, so only its messages can name configuration paths.
            return ValidateOptionsResult.Skip;
        }

        var failures = ((IValidatableObject)options).Validate(new ValidationContext(options)).Select(ToPath).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Writes every setting a message names as its configuration path: <c>MaxConcurrency</c> becomes <c>AgentBatch:MaxConcurrency</c>.</summary>
    private static string ToPath(ValidationResult failure)
    {
        var message = failure.ErrorMessage ?? "";
        foreach (var member in failure.MemberNames.Distinct(StringComparer.Ordinal))
        {
            message = Regex.Replace(message, $@"(?<![\w:]){Regex.Escape(member)}\b", $"{Section}:{member}", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return message;
    }
}
