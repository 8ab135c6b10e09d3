using System.ClientModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>Classifies the failures of a model call: worth another attempt, the endpoint's fault, the batch's end, billed or not.</summary>
/// <remarks>
/// Anything not recognised here is permanent: an exception type this SDK does not own (a budget error, a tool's or the
/// user's own exception) is never retried unless it is one of the transport faults below. To make a new failure
/// retryable, add a case to <see cref="IsTransient"/>; to count it against the circuit breaker, to
/// <see cref="IsEndpointFailure"/>; to stop the whole batch on it, to <see cref="StopsBatch"/>.
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
        ClientResultException { Status: > 0 } http => IsTransientStatus(http) && !IsQuotaExhausted(http),
        _ => IsConnectionFailure(error),
    };

    /// <summary>Gets a value indicating whether the failure says the endpoint is down, as opposed to busy or the request bad.</summary>
    /// <remarks>429 is left out: a rate-limited endpoint is alive, and adaptive concurrency and retries handle it.</remarks>
    public static bool IsEndpointFailure(Exception error) => IsTransient(error) && !IsRateLimited(error);

    /// <summary>Gets a value indicating whether the provider refused the request for its rate limit (HTTP 429).</summary>
    public static bool IsRateLimited(Exception error) => error is ClientResultException { Status: 429 } http && !IsQuotaExhausted(http);

    /// <summary>
    /// Gets a value indicating whether the failure is not the item's but the whole batch's: the credentials are refused
    /// (401), the key may not use the model (403), the model or deployment does not exist (404), or the account's quota
    /// is used up. Every other item would fail the same way, so the batch stops instead of sending them.
    /// </summary>
    public static bool StopsBatch(Exception error) =>
        error is ClientResultException { Status: 401 or 403 or 404 } || (error is ClientResultException http && IsQuotaExhausted(http));

    /// <summary>Gets the HTTP status of a failed call, 0 when no response arrived.</summary>
    public static int StatusOf(Exception error) => error is ClientResultException http ? http.Status : 0;

    /// <summary>
    /// Gets a value indicating whether a request that failed this way may still have been billed: no answer came back
    /// (a timeout, a dropped connection, a cancellation after the request left) or a success status came back with a body
    /// that could not be read. An error status is the provider saying it did not run the request.
    /// </summary>
    public static bool MayHaveBeenBilled(Exception error) => error switch
    {
        ClientResultException { Status: > 0 } => false,
        BudgetExceededException or ContextWindowExceededException or BrokenCircuitException => false,
        _ => true,
    };

    /// <summary>Gets the wait the server asked for in <c>retry-after-ms</c> or <c>Retry-After</c>, if any, capped at <see cref="ResilienceConstants.MaxRetryDelay"/>.</summary>
    /// <remarks>Capped while still a number: a value too large for a <see cref="TimeSpan"/> is a long wait, not an error.</remarks>
    public static TimeSpan? RetryAfter(Exception? error, TimeProvider timeProvider)
    {
        if (error is not ClientResultException http || http.GetRawResponse() is not { } response)
        {
            return null;
        }

        var headers = response.Headers;
        if (headers.TryGetValue("retry-after-ms", out var ms) && TryParseWait(ms, 1, out var fromMilliseconds))
        {
            return fromMilliseconds;
        }

        if (headers.TryGetValue("Retry-After", out var value) && value is not null)
        {
            if (TryParseWait(value, 1000, out var fromSeconds))
            {
                return fromSeconds;
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                var wait = when - timeProvider.GetUtcNow();
                return wait < TimeSpan.Zero ? TimeSpan.Zero : Cap(wait);
            }
        }

        return null;
    }

    /// <summary>
    /// Turns a body the chat client could not read into an <see cref="InvalidModelResponseException"/>, or returns
    /// <see langword="null"/> when <paramref name="error"/> is something else.
    /// </summary>
    /// <remarks>
    /// A success status whose body is not valid JSON, is JSON of the wrong shape (a number where the client expects a
    /// string), or has no <c>choices</c>, all surface from the client's deserializer as exceptions of general types; what
    /// tells them from a bug elsewhere is that they were thrown while the client read the body. Each is retried: a proxy
    /// or an overloaded provider produces them, and the next attempt usually gets a proper reply.
    /// </remarks>
    public static InvalidModelResponseException? AsInvalidResponse(Exception error)
    {
        if (error is JsonException)
        {
            return new InvalidModelResponseException(
                "The model endpoint returned a body that is not valid JSON (malformed, truncated or empty).", error, isTransient: true);
        }

        if (error is InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException or InvalidCastException
            or NullReferenceException or IndexOutOfRangeException && ThrownReadingResponse(error))
        {
            return new InvalidModelResponseException(
                "The model endpoint returned a body that is not a valid chat completion (fields missing or of the wrong type, or no choices).", error, isTransient: true);
        }

        return null;
    }

    private static bool IsTransientStatus(ClientResultException http) => http.Status is 408 or 429 || http.Status >= 500;

    /// <summary>OpenAI answers a used-up quota or an unpaid account with 429 <c>insufficient_quota</c>: no retry or wait cures it.</summary>
    private static bool IsQuotaExhausted(ClientResultException http) =>
        http.Status == 429 && http.Message.Contains("insufficient_quota", StringComparison.Ordinal);

    private static bool TryParseWait(string? text, double millisecondsPerUnit, out TimeSpan wait)
    {
        wait = default;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var units) || double.IsNaN(units) || units < 0)
        {
            return false;
        }

        var milliseconds = units * millisecondsPerUnit;
        wait = milliseconds >= ResilienceConstants.MaxRetryDelay.TotalMilliseconds
            ? ResilienceConstants.MaxRetryDelay
            : TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

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

    /// <summary>Whether the exception came out of a provider client's response model or a JSON reader.</summary>
    /// <remarks>Matched on the reading frames' types: the JIT may inline the small model getters into their callers after warm-up.</remarks>
    private static bool ThrownReadingResponse(Exception error) =>
        new StackTrace(error, fNeedFileInfo: false).GetFrames().Any(static f => f.GetMethod() is { } method
            && (method.Name is "FromOpenAIChatCompletion" or "FromOpenAIStreamingChatCompletionAsync"
                || method.DeclaringType?.FullName is { } type
                    && (type.StartsWith("OpenAI.Chat.", StringComparison.Ordinal)
                        || type.StartsWith("System.Text.Json.", StringComparison.Ordinal))));

    private static TimeSpan Cap(TimeSpan delay) => delay > ResilienceConstants.MaxRetryDelay ? ResilienceConstants.MaxRetryDelay : delay;
}
