namespace AgentBatch;

/// <summary>Reads a provider client's exceptions for the batch (status, the wait asked for, a used-up quota) and removes secrets from them.</summary>
/// <remarks>
/// <para>
/// The seam between AgentBatch's provider-neutral core and each provider's client library. The core knows the .NET
/// transport errors (<see cref="System.Net.Http.HttpRequestException"/> and its status, dropped connections, timeouts,
/// unreadable JSON); a provider package adds what its client throws. AgentBatch.OpenAI's classifier reads the OpenAI and
/// Azure OpenAI clients' <c>ClientResultException</c>, AgentBatch.Anthropic's the Anthropic client's <c>AnthropicApiException</c>.
/// </para>
/// <para>
/// A chat client carries its classifier as a service: the AgentBatch layer asks the client below it for
/// <c>GetService(typeof(ModelFaultClassifier))</c> when the pipeline is built, and
/// <c>ChatClientBuilder.UseFaultClassifier(classifier)</c> adds the layer that answers it. Implementations must be thread-safe.
/// </para>
/// </remarks>
public abstract class ModelFaultClassifier
{
    /// <summary>Reads <paramref name="exception"/> when it is an error of this provider's client.</summary>
    /// <param name="exception">The error a model call failed with.</param>
    /// <param name="fault">What the error says, when recognised.</param>
    /// <returns><see langword="true"/> when <paramref name="exception"/> is this provider's; otherwise <see langword="false"/>.</returns>
    public abstract bool TryClassify(Exception exception, out ModelFault? fault);

    /// <summary>Returns a copy of <paramref name="exception"/> with <paramref name="redact"/> applied to its message and to anything else of the server's it carries (a body, headers), when it is this provider's type.</summary>
    /// <param name="exception">An error whose message (or body) holds a secret.</param>
    /// <param name="redact">Removes the secrets from a text.</param>
    /// <param name="innerException">The already redacted inner exception to give the copy.</param>
    /// <returns>The redacted copy, keeping the type, status and headers; or <see langword="null"/> when the error is not this provider's type.</returns>
    public virtual Exception? Redact(Exception exception, Func<string, string> redact, Exception? innerException) => null;

    /// <summary>Gets the server's text an error carries beyond its message (a response body), so it can be checked for secrets; <see langword="null"/> when none.</summary>
    /// <param name="exception">The error.</param>
    /// <returns>The text, or <see langword="null"/>.</returns>
    public virtual string? GetServerText(Exception exception) => null;
    /// <summary>Parses a server's wait (<c>retry-after-ms</c> in milliseconds, <c>Retry-After</c> in seconds or as a date), capped while still a number.</summary>
    /// <param name="milliseconds">The <c>retry-after-ms</c> header, or <see langword="null"/>.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> header, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock a date is measured against.</param>
    /// <returns>The wait, at most 60 s (a value too large for a <see cref="TimeSpan"/> is the longest wait, not an error); <see langword="null"/> when neither header is usable.</returns>
    protected static TimeSpan? ParseRetryAfter(string? milliseconds, string? retryAfter, TimeProvider timeProvider)
    {
        if (TryParseWait(milliseconds, 1, out var fromMilliseconds))
        {
            return fromMilliseconds;
        }

        if (retryAfter is null)
        {
            return null;
        }

        if (TryParseWait(retryAfter, 1000, out var fromSeconds))
        {
            return fromSeconds;
        }

        if (DateTimeOffset.TryParse(retryAfter, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when))
        {
            var wait = when - timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Internal.ResilienceConstants.MaxRetryDelay ? Internal.ResilienceConstants.MaxRetryDelay : wait;
        }

        return null;
    }

    private static bool TryParseWait(string? text, double millisecondsPerUnit, out TimeSpan wait)
    {
        wait = default;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var units) || double.IsNaN(units) || units < 0)
        {
            return false;
        }

        var milliseconds = units * millisecondsPerUnit;
        wait = milliseconds >= Internal.ResilienceConstants.MaxRetryDelay.TotalMilliseconds
            ? Internal.ResilienceConstants.MaxRetryDelay
            : TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }
}
