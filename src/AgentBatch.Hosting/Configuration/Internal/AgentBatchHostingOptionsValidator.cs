using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Checks <see cref="AgentBatchHostingOptions"/> at start-up, naming each bad setting by its configuration path.</summary>
/// <param name="needsConnection">Whether the endpoint settings are used, that is, AgentBatch builds the chat client itself.</param>
internal sealed class AgentBatchHostingOptionsValidator(Func<bool> needsConnection) : IValidateOptions<AgentBatchHostingOptions>
{
    private const string Section = AgentBatchHostingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, AgentBatchHostingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Model))
        {
            failures.Add($"{Section}:Model must name a model, for example '{AgentBatchHostingOptions.DefaultModel}'.");
        }

        if (options.Endpoint is { } endpoint
            && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            // The address is echoed without its user-info part, which could hold credentials.
            failures.Add($"{Section}:Endpoint must be an absolute http or https address; it is '{Redact(endpoint)}'.");
        }

        if (options.Endpoint is null && string.IsNullOrWhiteSpace(options.ApiKey) && needsConnection())
        {
            failures.Add(
                $"{Section}:ApiKey is required to call OpenAI: set it with user secrets or the {Section}__ApiKey environment variable, "
                + $"or set {Section}:Endpoint to an OpenAI-compatible server.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Redact(Uri endpoint) =>
        endpoint.IsAbsoluteUri && endpoint.UserInfo.Length > 0
            ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped)
            : endpoint.OriginalString;
}
