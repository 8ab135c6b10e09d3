using System.Globalization;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Checks <see cref="DocumentWorkerOptions"/> at start-up, naming each bad setting by its configuration path.</summary>
/// <param name="batches">The registered batches, one of which <see cref="DocumentWorkerOptions.BatchName"/> must name.</param>
internal sealed class DocumentWorkerOptionsValidator(IEnumerable<AgentBatchRegistration> batches) : IValidateOptions<DocumentWorkerOptions>
{
    private const string Section = DocumentWorkerOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, DocumentWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.BatchName is null || !batches.Any(b => b.Name == options.BatchName))
        {
            failures.Add($"{Section}:BatchName names no registered batch ('{options.BatchName}'): register it with services.AddAgentBatch(\"{options.BatchName}\", ...), or leave the setting empty for the default batch.");
        }

        if (string.IsNullOrWhiteSpace(options.InboxPath))
        {
            failures.Add($"{Section}:InboxPath is required: the folder document sets are dropped into.");
        }

        if (string.IsNullOrWhiteSpace(options.OutputPath))
        {
            failures.Add($"{Section}:OutputPath is required: the folder results are written to.");
        }
        else if (!string.IsNullOrWhiteSpace(options.InboxPath) && IsVisibleInside(options.InboxPath, options.OutputPath))
        {
            failures.Add($"{Section}:OutputPath cannot be a folder of the inbox, where it would be taken for a document set; use a name starting with '.' or '_', or another folder.");
        }

        if (!string.IsNullOrWhiteSpace(options.InboxPath) && !string.IsNullOrWhiteSpace(options.ProcessedPath) && IsVisibleInside(options.InboxPath, options.ProcessedPath))
        {
            failures.Add($"{Section}:ProcessedPath cannot be a folder of the inbox, where finished sets would be taken for new ones; use a name starting with '.' or '_', or another folder.");
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:PollInterval must be longer than zero; it is {options.PollInterval}."));
        }

        if (options.SetRetryDelay <= TimeSpan.Zero)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:SetRetryDelay must be longer than zero; it is {options.SetRetryDelay}."));
        }

        if (options.MaxDocumentBytes < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:MaxDocumentBytes must be at least 1; it is {options.MaxDocumentBytes}."));
        }

        foreach (var (profileName, profile) in options.Profiles)
        {
            var path = $"{Section}:Profiles:{profileName}";
            if (profile is null)
            {
                failures.Add($"{path} is empty.");
                continue;
            }

            if (string.IsNullOrEmpty(profile.PromptTemplate) || !profile.PromptTemplate.Contains("{text}", StringComparison.Ordinal))
            {
                failures.Add($"{path}:PromptTemplate must contain {{text}}, where each document's text goes.");
            }

            if (profile.MaxOutputTokens < 1)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:MaxOutputTokens must be at least 1 or unset; it is {profile.MaxOutputTokens}."));
            }

            if (profile.Temperature is < 0 or > 2)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{path}:Temperature must be between 0 and 2 or unset; it is {profile.Temperature}."));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsVisibleInside(string inbox, string output)
    {
        if (!DocumentNames.IsInside(inbox, output))
        {
            return false;
        }

        var relative = Path.GetRelativePath(Path.GetFullPath(inbox), Path.GetFullPath(output));
        return relative == "." || relative[0] is not ('.' or '_');
    }
}
