using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Net.Sockets;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>Classifies the failures of a model call: worth another attempt, the endpoint's fault, the batch's end, billed or not.</summary>
/// <remarks>
/// <para>
/// Provider-neutral: what a provider's client throws is read by its <see cref="ModelFaultClassifier"/> into a
/// <see cref="ModelFault"/> (<see cref="Read"/>); the rules here decide from that, and from the .NET transport errors.
/// </para>
/// <para>
/// Anything not recognised is permanent: an exception type this SDK does not own (a budget error, a tool's or the
/// user's own exception) is never retried unless it is a transport fault. To make a new failure retryable, add a case to
/// <see cref="IsTransient"/>; to count it against the circuit breaker, to <see cref="IsEndpointFailure"/>; to stop the
/// whole batch on it, to <see cref="StopsBatch"/>.
/// </para>
/// </remarks>
internal static class TransientFaults
{
    // Per exception type: its public Status or StatusCode property, when it has one (null when it has none).
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> StatusProperties = new();

    /// <summary>
    /// Reads what an error says: the provider's classifier first, then the .NET transport errors, then, for a client that
    /// has no classifier, the HTTP status any provider's exception carries; <see langword="null"/> when none knows it.
    /// <paramref name="guessed"/> tells that only that last fallback knew it.
    /// </summary>
    public static ModelFault? Read(Exception error, ModelFaultClassifier? provider, out bool guessed)
    {
        guessed = false;
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (provider is not null && provider.TryClassify(e, out var fault) && fault is not null)
            {
                return fault;
            }

            switch (e)
            {
                case HttpRequestException { StatusCode: { } status }:
                    return new ModelFault { StatusCode = (int)status };
                case JsonException:
                    return new ModelFault { UnreadableReply = true };
            }
        }

        if (provider is null)
        {
            // A client without its provider's classifier (plain AsIChatClient()) still says its status the common way,
            // as System.ClientModel's ClientResultException.Status and Azure's RequestFailedException.Status do: enough to
            // retry a 429 or 503 and to stop on a wrong key, though not to see the wait asked for or a used-up quota.
            for (var e = error; e is not null; e = e.InnerException)
            {
                if (StatusOf(e) is { } status)
                {
                    guessed = true;
                    return new ModelFault { StatusCode = status };
                }
            }
        }

        return null;
    }

    private static int? StatusOf(Exception error)
    {
        var property = StatusProperties.GetOrAdd(error.GetType(), static type =>
            Array.Find(
                [type.GetProperty("Status", BindingFlags.Public | BindingFlags.Instance), type.GetProperty("StatusCode", BindingFlags.Public | BindingFlags.Instance)],
                p => p is not null && p.GetIndexParameters().Length == 0
                    && (p.PropertyType == typeof(int) || p.PropertyType == typeof(int?) || p.PropertyType == typeof(HttpStatusCode) || p.PropertyType == typeof(HttpStatusCode?))));
        if (property is null)
        {
            return null;
        }

        var status = property.GetValue(error) switch
        {
            int value => value,
            HttpStatusCode code => (int)code,
            _ => 0,
        };
        return status is >= 400 and <= 599 ? status : null;
    }

    /// <summary>Gets a value indicating whether another attempt of the same request may succeed.</summary>
    public static bool IsTransient(Exception error, ModelFault? fault) => error switch
    {
        // HttpClient's own timeout is a cancellation caused by a TimeoutException, not by any caller.
        TaskCanceledException { InnerException: TimeoutException } => true,

        // The caller's or the item's cancellation: never retried, or cancelling would take another attempt's time.
        OperationCanceledException => false,
        BrokenCircuitException => false,
        BatchStoppedException => false,

        // Not run by the provider: an expired request is worth resubmitting, a cancelled one or one of a failed batch not.
        ProviderBatchItemException batched => batched.Outcome == ProviderBatchOutcome.Expired,
        TimeoutRejectedException => true,
        InvalidModelResponseException invalid => invalid.IsTransient,
        _ when fault is { QuotaExhausted: true } => false,
        _ when fault is { UnreadableReply: true } => true,
        _ when fault is { StatusCode: > 0 and var status } => status is 408 or 429 || status >= 500,
        _ => IsConnectionFailure(error),
    };

    /// <summary>Gets a value indicating whether the failure says the endpoint is down, as opposed to busy or the request bad.</summary>
    /// <remarks>429 is left out: a rate-limited endpoint is alive, and adaptive concurrency and retries handle it.</remarks>
    public static bool IsEndpointFailure(Exception error, ModelFault? fault) => IsTransient(error, fault) && !IsRateLimited(fault);

    /// <summary>Gets a value indicating whether the provider refused the request for its rate limit (HTTP 429, not a used-up quota).</summary>
    public static bool IsRateLimited(ModelFault? fault) => fault is { StatusCode: 429, QuotaExhausted: false };

    /// <summary>
    /// Gets a value indicating whether the failure is not the item's but the whole batch's: the credentials are refused
    /// (401), the key may not use the model (403), the model or deployment does not exist (404), or the account's quota
    /// is used up. Every other item would fail the same way, so the batch stops instead of sending them.
    /// </summary>
    public static bool StopsBatch(ModelFault? fault) => fault is { StatusCode: 401 or 403 or 404 } or { QuotaExhausted: true };

    /// <summary>Gets the HTTP status of a failed call, 0 when no response arrived or none is known.</summary>
    public static int StatusOf(ModelFault? fault) => fault?.StatusCode ?? 0;

    /// <summary>
    /// Gets a value indicating whether a request that failed this way may still have been billed: no answer came back
    /// (a timeout, a dropped connection, a cancellation after the request left) or a success status came back with a body
    /// that could not be read. An error status is the provider saying it did not run the request.
    /// </summary>
    public static bool MayHaveBeenBilled(Exception error, ModelFault? fault) => error switch
    {
        BudgetExceededException or ContextWindowExceededException or BrokenCircuitException or BatchStoppedException or ProviderBatchItemException => false,
        InvalidModelResponseException => true,
        _ => fault is not { StatusCode: > 0, UnreadableReply: false },
    };

    /// <summary>Gets the wait the server asked for, capped at <see cref="ResilienceConstants.MaxRetryDelay"/>.</summary>
    public static TimeSpan? RetryAfter(ModelFault? fault) => fault?.RetryAfter switch
    {
        null => null,
        { } wait when wait < TimeSpan.Zero => TimeSpan.Zero,
        { } wait => wait > ResilienceConstants.MaxRetryDelay ? ResilienceConstants.MaxRetryDelay : wait,
    };

    /// <summary>
    /// Turns a body the chat client could not read into an <see cref="InvalidModelResponseException"/>, or returns
    /// <see langword="null"/> when <paramref name="error"/> is something else.
    /// </summary>
    /// <remarks>
    /// A success status whose body is not valid JSON, is JSON of the wrong shape, or has no choices, all surface from a
    /// client's deserializer as exceptions of general types; the provider's classifier tells them from a bug elsewhere.
    /// Each is retried: a proxy or an overloaded provider produces them, and the next attempt usually gets a proper reply.
    /// </remarks>
    public static InvalidModelResponseException? AsInvalidResponse(Exception error, ModelFault? fault) =>
        error is not InvalidModelResponseException && fault is { UnreadableReply: true }
            ? new InvalidModelResponseException(
                error is JsonException
                    ? "The model endpoint returned a body that is not valid JSON (malformed, truncated or empty)."
                    : "The model endpoint returned a body that is not a valid chat completion (fields missing or of the wrong type, or no choices).",
                error,
                isTransient: true)
            : null;

    private static bool IsConnectionFailure(Exception error)
    {
        // A refused or dropped connection comes bare, or wrapped by the client.
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
}
