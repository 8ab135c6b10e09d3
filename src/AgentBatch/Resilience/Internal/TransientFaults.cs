using System.ClientModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>Decides which failures of a model call are worth another attempt.</summary>
/// <remarks>
/// Anything not recognised here is permanent: an exception type this SDK does not own (a budget error, a tool's or the
/// user's own exception) is never retried unless it is one of the transport faults below. To make a new failure
/// retryable, add a case to <see cref="IsTransient"/>; to count it against the circuit breaker, to
/// <see cref="IsEndpointFailure"/>.
/// </remarks>
internal static class TransientFaults
{
    /// <summary>Gets a value indicating whether another attempt of the same request may succeed.</summary>
    public static bool IsTransient(Exception error) => error switch
    {
        // HttpClient's own timeout is a cancellation caused by a TimeoutException, not by any caller.
        TaskCanceledException { InnerException: TimeoutException } => true,

        // The caller's or the item's cancellation: never retried, or cancelling would take another attempt's time.
        OperationCanceledException => false,
        BrokenCircuitException => false,
        TimeoutRejectedException => true,
        InvalidModelResponseException invalid => invalid.IsTransient,
        ClientResultException { Status: > 0 } http => IsTransientStatus(http.Status),
        _ => IsConnectionFailure(error),
    };

    /// <summary>Gets a value indicating whether the failure says the endpoint is down, as opposed to busy or the request bad.</summary>
    /// <remarks>429 is left out: a rate-limited endpoint is alive, and adaptive concurrency and retries handle it.</remarks>
    public static bool IsEndpointFailure(Exception error) => IsTransient(error) && !IsRateLimited(error);

    /// <summary>Gets a value indicating whether the provider refused the request for its rate limit (HTTP 429).</summary>
    public static bool IsRateLimited(Exception error) => error is ClientResultException { Status: 429 };

    /// <summary>Gets the HTTP status of a failed call, 0 when no response arrived.</summary>
    public static int StatusOf(Exception error) => error is ClientResultException http ? http.Status : 0;

    /// <summary>Gets the wait the server asked for in <c>retry-after-ms</c> or <c>Retry-After</c>, if any.</summary>
    public static TimeSpan? RetryAfter(Exception? error, TimeProvider timeProvider)
    {
        if (error is not ClientResultException http || http.GetRawResponse() is not { } response)
        {
            return null;
        }

        var headers = response.Headers;
        if (headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0)
        {
            return Cap(TimeSpan.FromMilliseconds(milliseconds));
        }

        if (headers.TryGetValue("Retry-After", out var value) && value is not null)
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return Cap(TimeSpan.FromSeconds(seconds));
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                var wait = when - timeProvider.GetUtcNow();
                return Cap(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
            }
        }

        return null;
    }

    /// <summary>
    /// Turns a body the chat client could not read into an <see cref="InvalidModelResponseException"/>, or returns
    /// <see langword="null"/> when <paramref name="error"/> is something else.
    /// </summary>
    public static InvalidModelResponseException? AsInvalidResponse(Exception error)
    {
        if (error is JsonException)
        {
            return new InvalidModelResponseException(
                "The model endpoint returned a body that is not valid JSON (malformed, truncated or empty).", error, isTransient: true);
        }

        // The OpenAI client indexes choices[0] without checking; a reply with no choices surfaces as this.
        if (error is ArgumentOutOfRangeException && ThrownByOpenAIChatCompletion(error))
        {
            return new InvalidModelResponseException(
                "The model endpoint returned a chat completion without any choices.", error, isTransient: false);
        }

        return null;
    }

    private static bool IsTransientStatus(int status) => status is 408 or 429 || status >= 500;

    private static bool IsConnectionFailure(Exception error)
    {
        // A refused or dropped connection comes bare, or wrapped by the client (ClientResultException with status 0).
        for (var e = error; e is not null; e = e.InnerException)
        {
            // A TimeoutException is a client's own network timeout (bare, or inside the cancellation it caused).
            if (e is HttpRequestException or IOException or SocketException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    // Matched on the conversion method too: the JIT may inline the small ChatCompletion getters into it after warm-up.
    private static bool ThrownByOpenAIChatCompletion(Exception error) =>
        new StackTrace(error, fNeedFileInfo: false).GetFrames().Any(static f => f.GetMethod() is { } method
            && (method.Name == "FromOpenAIChatCompletion"
                || method.DeclaringType?.FullName?.StartsWith("OpenAI.Chat.ChatCompletion", StringComparison.Ordinal) == true));

    private static TimeSpan Cap(TimeSpan delay) => delay > ResilienceConstants.MaxRetryDelay ? ResilienceConstants.MaxRetryDelay : delay;
}
