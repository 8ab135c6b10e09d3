using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Checks one batch's <see cref="AgentBatchOpenAIOptions"/> at start-up, naming each bad setting by its configuration path and never echoing the key.</summary>
/// <param name="batch">The batch whose settings this validator checks; other names are skipped.</param>
internal sealed class AgentBatchOpenAIOptionsValidator(AgentBatchBuilder batch) : IValidateOptions<AgentBatchOpenAIOptions>
{
    /// <summary>Gets the name of the batch this validator checks.</summary>
    public string BatchName => batch.Name;

    public ValidateOptionsResult Validate(string? name, AgentBatchOpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((name ?? Options.DefaultName) != batch.Name)
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            failures.Add($"{PathOf(nameof(options.Model))} must name a model, for example '{AgentBatchOpenAIOptions.DefaultModel}'.");
        }

        if (options.Endpoint is { } endpoint
            && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            // The address is echoed without its user-info part, which could hold credentials.
            failures.Add($"{PathOf(nameof(options.Endpoint))} must be an absolute http or https address; it is '{Redact(endpoint)}'.");
        }

        if (options.Endpoint is null && string.IsNullOrWhiteSpace(options.ApiKey))
        {
            var variable = batch.SectionPath.Replace(":", "__", StringComparison.Ordinal);
            failures.Add(
                $"{PathOf(nameof(options.ApiKey))} is required to call OpenAI: set it with user secrets or the {(variable.Length == 0 ? "" : variable + "__")}ApiKey environment variable, "
                + $"or set {PathOf(nameof(options.Endpoint))} to an OpenAI-compatible server.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string PathOf(string key) => batch.SectionPath.Length == 0 ? key : $"{batch.SectionPath}:{key}";

    private static string Redact(Uri endpoint) =>
        endpoint.IsAbsoluteUri && endpoint.UserInfo.Length > 0
            ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped)
            : endpoint.OriginalString;
}
