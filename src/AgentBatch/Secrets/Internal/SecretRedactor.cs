using System.Net.Http;
using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>Removes secrets (API keys, bearer tokens) from the error messages AgentBatch stores, logs or writes.</summary>
/// <remarks>
/// <para>
/// A proxy or a misbehaving endpoint may echo the request's credential in its error body, and the OpenAI client puts
/// that body into its exception's message. Every error that leaves a model call, and every error a result, log line or
/// exception of AgentBatch carries, passes <see cref="Redact(Exception, ModelFaultClassifier?)"/> first.
/// </para>
/// <para>
/// A provider's own exception types (and the response body they carry) are rebuilt by that provider's
/// <see cref="ModelFaultClassifier"/>. It removes the exact values it is given (<see cref="BatchOptions.Secrets"/>: the
/// client's own key where the caller knows it) and anything shaped like a credential: <c>sk-</c> keys (OpenAI, Anthropic), bearer and basic
/// authorization values, JSON web tokens, and the value after <c>api-key</c>, <c>x-api-key</c>, <c>access_token</c> or
/// <c>password</c>. An exception without a secret is returned as is, so the common path allocates nothing.
/// </para>
/// </remarks>
internal sealed partial class SecretRedactor
{
    /// <summary>What replaces a secret.</summary>
    public const string Mask = "***";

    private readonly string[] _secrets;

    public SecretRedactor(IEnumerable<string>? secrets)
    {
        // Longest first, so a secret that contains another is removed whole. Values too short to be a credential are
        // ignored: masking every "a" would make messages unreadable and protect nothing.
        _secrets = secrets is null
            ? []
            : secrets.Where(static s => !string.IsNullOrWhiteSpace(s) && s.Trim().Length >= 6).Select(static s => s.Trim())
                .Distinct(StringComparer.Ordinal).OrderByDescending(static s => s.Length).ToArray();
    }

    /// <summary>Gets a redactor that knows no exact secrets, only the credential shapes.</summary>
    public static SecretRedactor Default { get; } = new(null);

    /// <summary>Gets a value indicating whether <paramref name="text"/> holds anything this redactor would remove.</summary>
    public bool ContainsSecret(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return CredentialShape().IsMatch(text);
    }

    /// <summary>Returns <paramref name="text"/> with every secret replaced by <see cref="Mask"/>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!ContainsSecret(text))
        {
            return text;
        }

        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return CredentialShape().Replace(text, static match =>
            match.Groups["prefix"].Success ? match.Groups["prefix"].Value + Mask
            : match.Value.StartsWith("sk-", StringComparison.Ordinal) ? "sk-" + Mask
            : Mask);
    }

    /// <summary>
    /// Returns <paramref name="error"/> itself when no message in its chain holds a secret; otherwise a copy of the chain
    /// with the secrets removed from every message (and from an HTTP error's body), keeping each exception's type where
    /// AgentBatch or the caller may test it, its status and headers, and its stack trace.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <param name="provider">The classifier of the provider the error came from, which rebuilds its own exception types; <see langword="null"/> for none.</param>
    public Exception Redact(Exception error, ModelFaultClassifier? provider = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        return NeedsRedaction(error, provider) ? Rebuild(error, provider) : error;
    }

    /// <summary>Returns <paramref name="error"/> redacted, or <see langword="null"/>.</summary>
    public Exception? RedactOrNull(Exception? error, ModelFaultClassifier? provider = null) => error is null ? null : Redact(error, provider);

    private bool NeedsRedaction(Exception error, ModelFaultClassifier? provider)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (ContainsSecret(e.Message) || (provider is not null && ContainsSecret(provider.GetServerText(e))))
            {
                return true;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Count > 1 && aggregate.InnerExceptions.Any(x => NeedsRedaction(x, provider)))
            {
                return true;
            }
        }

        return false;
    }

    private Exception Rebuild(Exception error, ModelFaultClassifier? provider)
    {
        var inner = error.InnerException is { } original && NeedsRedaction(original, provider) ? Rebuild(original, provider) : error.InnerException;
        var message = Redact(error.Message);
        Exception copy = provider?.Redact(error, Redact, inner) ?? error switch
        {
            BrokenCircuitException => new BrokenCircuitException(message, inner!),
            InvalidModelResponseException invalid => new InvalidModelResponseException(message, inner, invalid.IsTransient),
            TimeoutRejectedException timeout => new TimeoutRejectedException(message, timeout.Timeout, inner!),
            TaskCanceledException => new TaskCanceledException(message, inner),
            OperationCanceledException canceled => new OperationCanceledException(message, inner, canceled.CancellationToken),
            HttpRequestException request => new HttpRequestException(message, inner, request.StatusCode),
            TimeoutException => new TimeoutException(message, inner),
            AggregateException aggregate => new AggregateException(message, aggregate.InnerExceptions.Select(x => Redact(x, provider))),

            // A type AgentBatch cannot rebuild keeps its name in the message.
            _ => new InvalidOperationException($"{error.GetType().FullName}: {message}", inner),
        };

        if (error.StackTrace is { } stackTrace)
        {
            ExceptionDispatchInfo.SetRemoteStackTrace(copy, stackTrace);
        }

        return copy;
    }

    [GeneratedRegex(
        """(?<prefix>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=\-]{8,}|(?<prefix>\b(?:api[-_]?key|x-api-key|access[-_]?token|refresh[-_]?token|client[-_]?secret|password)["']?\s*[:=]\s*["']?)[^\s"',;&]{4,}|\bsk-[A-Za-z0-9][A-Za-z0-9_\-]{7,}|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex CredentialShape();
}
