using System.Globalization;
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

        Range(failures, "MaxConcurrency", options.MaxConcurrency, 1, 10_000);
        Range(failures, "MaxAttempts", options.MaxAttempts, 1, 100);
        AtLeast(failures, "MaxTotalTokens", options.MaxTotalTokens, 1);
        AtLeast(failures, "TokensPerMinute", options.TokensPerMinute, 1);
        AtLeast(failures, "RequestsPerMinute", options.RequestsPerMinute, 1);
        AtLeast(failures, "MaxInputTokens", options.MaxInputTokens, 1);
        NotNegative(failures, "MaxCost", options.MaxCost);
        NotNegative(failures, "InputPricePerMillionTokens", options.InputPricePerMillionTokens);
        NotNegative(failures, "OutputPricePerMillionTokens", options.OutputPricePerMillionTokens);
        Positive(failures, "AttemptTimeout", options.AttemptTimeout);
        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > TimeSpan.FromDays(1))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:RetryBaseDelay must be between 0 and 1 day; it is {options.RetryBaseDelay}."));
        }
        Positive(failures, "ItemTimeout", options.ItemTimeout);

        if (options.InputPricePerMillionTokens.HasValue != options.OutputPricePerMillionTokens.HasValue)
        {
            failures.Add($"{Section}:InputPricePerMillionTokens and {Section}:OutputPricePerMillionTokens must be set together.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Redact(Uri endpoint) =>
        endpoint.IsAbsoluteUri && endpoint.UserInfo.Length > 0
            ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped)
            : endpoint.OriginalString;

    private static void Range(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} must be between {min} and {max}; it is {value}."));
        }
    }

    private static void AtLeast(List<string> failures, string setting, long? value, long min)
    {
        if (value < min)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} must be at least {min} or unset; it is {value}."));
        }
    }

    private static void NotNegative(List<string> failures, string setting, decimal? value)
    {
        if (value < 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} cannot be negative; it is {value}."));
        }
    }

    private static void Positive(List<string> failures, string setting, TimeSpan? value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{setting} must be longer than zero; it is {value}."));
        }
    }
}
