using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>
/// Checks one batch's <see cref="BatchOptions"/> at start-up with the options' own validation (their declared ranges
/// and the rules between settings), naming each bad setting by its configuration path under the batch's section.
/// </summary>
/// <param name="registration">The batch whose options this validator checks; other names are skipped.</param>
internal sealed class BatchOptionsValidator(AgentBatchRegistration registration) : IValidateOptions<BatchOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((name ?? Options.DefaultName) != registration.Name)
        {
            // Each batch's validator names its own section's paths.
            return ValidateOptionsResult.Skip;
        }

        var failures = ((IValidatableObject)options).Validate(new ValidationContext(options)).Select(ToPath).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Writes every setting a message names as its configuration path: <c>MaxConcurrency</c> becomes <c>AgentBatch:MaxConcurrency</c>.</summary>
    private string ToPath(ValidationResult failure)
    {
        var message = failure.ErrorMessage ?? "";
        if (registration.SectionPath.Length == 0)
        {
            return message;
        }

        foreach (var member in failure.MemberNames.Distinct(StringComparer.Ordinal))
        {
            var path = registration.PathOf(member);
            message = Regex.Replace(message, $@"(?<![\w:]){Regex.Escape(member)}\b", _ => path, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return message;
    }
}
