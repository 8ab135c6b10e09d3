using System.Net;
using System.Reflection;
using System.Text.Json;
using AgentBatch.Internal;
using Anthropic.Core;
using Anthropic.Exceptions;

namespace AgentBatch;

/// <summary>Reads the errors of the official Anthropic .NET client for AgentBatch, and removes secrets from them.</summary>
/// <remarks>
/// <para>
/// An <see cref="AnthropicApiException"/> gives its HTTP status: 408, 429, 5xx and Anthropic's 529 (overloaded) are
/// retried, 401, 403 and 404 stop the batch. A used-up credit or spend limit also stops the batch rather than being waited
/// out: a 402 or a <c>billing_error</c>, a 429 whose <c>error.details.error_code</c> is
/// <c>contract_spend_limit_reached</c> or <c>enforced_spend_limit_reached</c>, and a 400 that says the credit balance is
/// too low or the API usage limits are reached. An error event inside a stream (<see cref="AnthropicSseException"/>) is
/// read by its error type, as the status that type stands for (<c>overloaded_error</c> as 529, <c>rate_limit_error</c>
/// as 429, ...). A success body the client could not read (<see cref="AnthropicInvalidDataException"/>: a field missing
/// or of the wrong type) is an unreadable reply, retried like a malformed one.
/// </para>
/// <para>
/// The wait a response asks for (<c>retry-after-ms</c>, <c>retry-after</c>) is not in the client's exceptions: a handler
/// in the client's chain remembers it by the response's <c>request-id</c> (<see cref="CreateRetryAfterHandler"/>), and
/// the classifier finds it again by the exception's <see cref="AnthropicApiException.RequestID"/>.
/// <see cref="AnthropicBatchChatClientExtensions.AsBatchChatClient"/> adds that handler itself.
/// </para>
/// <para>
/// A redacted copy keeps the exception's type, status, request id and workspace id, with the secrets removed from the
/// body (which is the message) and from the request id.
/// </para>
/// <para>Attach it to a chat client with <see cref="AnthropicBatchChatClientExtensions.AsBatchChatClient"/> or <see cref="AnthropicBatchChatClientExtensions.UseAnthropicFaults"/>. Thread-safe.</para>
/// </remarks>
public sealed class AnthropicFaultClassifier : ModelFaultClassifier
{
    // The client's exceptions take their request ids at creation only; a redacted copy is made by the client's own
    // factory, then given the original's ids, so the copy still finds its wait and still names its request for support.
    private static readonly PropertyInfo RequestIdProperty = typeof(AnthropicApiException).GetProperty(nameof(AnthropicApiException.RequestID))!;
    private static readonly PropertyInfo WorkspaceIdProperty = typeof(AnthropicApiException).GetProperty(nameof(AnthropicApiException.WorkspaceID))!;

    private readonly TimeProvider _timeProvider;
    private readonly ErrorResponseWaits _waits = new();

    /// <summary>Initializes a new instance of the <see cref="AnthropicFaultClassifier"/> class.</summary>
    /// <param name="timeProvider">The clock a <c>retry-after</c> date is measured against; <see langword="null"/> for the system clock.</param>
    public AnthropicFaultClassifier(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the classifier on the system clock.</summary>
    public static AnthropicFaultClassifier Default { get; } = new();

    /// <summary>Creates an HTTP handler for the Anthropic client's <c>ClientOptions.Handlers</c> that lets this classifier read the wait each error response asks for.</summary>
    /// <returns>A new handler, not yet attached: a handler belongs to one client's chain.</returns>
    /// <remarks>
    /// Needed only for a client built without <see cref="AnthropicBatchChatClientExtensions.AsBatchChatClient"/> (which
    /// adds one to a client without handlers of its own), such as one that already has handlers, under
    /// <see cref="AnthropicBatchChatClientExtensions.UseAnthropicFaults"/>. Without it, a retry waits the batch's backoff
    /// instead of what the server asked for. Responses pass through it unchanged.
    /// </remarks>
    public DelegatingHandler CreateRetryAfterHandler() => new RetryAfterRecordingHandler(_waits);

    /// <inheritdoc />
    public override bool TryClassify(Exception exception, out ModelFault? fault)
    {
        ArgumentNullException.ThrowIfNull(exception);
        fault = exception switch
        {
            AnthropicApiException api => FaultOf(api),
            AnthropicSseException sse => FaultOf(sse),
            AnthropicInvalidDataException => new ModelFault { UnreadableReply = true },
            _ => null,
        };
        return fault is not null;
    }

    /// <inheritdoc />
    public override Exception? Redact(Exception exception, Func<string, string> redact, Exception? innerException)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(redact);
        return exception switch
        {
            AnthropicApiException api => RedactedCopy(api, redact),
            AnthropicSseException sse => new AnthropicSseException(redact(sse.Message), innerException) { Body = RedactedJson(sse.Body, redact) },
            AnthropicInvalidDataException => new AnthropicInvalidDataException(redact(exception.Message), innerException),
            AnthropicIOException io => new AnthropicIOException(redact(io.Message), innerException as HttpRequestException),
            _ => null,
        };
    }

    /// <inheritdoc />
    public override string? GetServerText(Exception exception) => exception switch
    {
        AnthropicApiException api => api.ResponseBody,
        AnthropicSseException sse when sse.Body.ValueKind != JsonValueKind.Undefined => sse.Body.GetRawText(),
        _ => null,
    };

    /// <summary>A copy made by the client's own factory, so it is of the type the client would throw for that status and body.</summary>
    /// <remarks>The message is the status and the body; the client never gives an API exception an inner one.</remarks>
    private static AnthropicApiException RedactedCopy(AnthropicApiException api, Func<string, string> redact)
    {
        var copy = AnthropicExceptionFactory.CreateApiException(api.StatusCode, redact(api.ResponseBody));
        RequestIdProperty.SetValue(copy, api.RequestID is { } requestId ? redact(requestId) : null);
        WorkspaceIdProperty.SetValue(copy, api.WorkspaceID is { } workspaceId ? redact(workspaceId) : null);
        return copy;
    }

    private ModelFault FaultOf(AnthropicApiException api)
    {
        var status = (int)api.StatusCode;
        _waits.TryGet(api.RequestID, out var milliseconds, out var retryAfter);
        return new ModelFault
        {
            StatusCode = status,
            RetryAfter = ParseRetryAfter(milliseconds, retryAfter, _timeProvider),
            QuotaExhausted = IsQuotaExhausted(status, TypeOf(api), api.ErrorCode, api.ApiMessage),
            ErrorCode = CodeOf(api.ErrorCode) ?? CodeOf(TypeOf(api)),
        };
    }

    /// <summary>An error event inside a stream: no status of its own, so the one its type stands for; no headers, so no wait.</summary>
    private static ModelFault FaultOf(AnthropicSseException sse)
    {
        var type = TypeOf(sse);
        var status = StatusOf(type);
        return new ModelFault
        {
            StatusCode = status,
            QuotaExhausted = IsQuotaExhausted(status, type, sse.ErrorCode, sse.ApiMessage),
            ErrorCode = CodeOf(sse.ErrorCode) ?? CodeOf(type),
        };
    }

    /// <summary>Whether the account's credit or spend limit is used up: no wait cures it, so the batch stops.</summary>
    private static bool IsQuotaExhausted(int status, string? type, string? errorCode, string? message) =>
        status == (int)HttpStatusCode.PaymentRequired
        || type == "billing_error"
        || errorCode is "contract_spend_limit_reached" or "enforced_spend_limit_reached"
        || (status == (int)HttpStatusCode.BadRequest && message is not null
            && (message.Contains("credit balance", StringComparison.OrdinalIgnoreCase) || message.Contains("API usage limits", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The HTTP status an error type stands for, as Anthropic documents them; a type it does not know is a server error.</summary>
    internal static int StatusOf(string? type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    };

    /// <summary>The error's <c>error.type</c>, such as <c>rate_limit_error</c>, or <see langword="null"/>.</summary>
    private static string? TypeOf(AnthropicServiceException exception)
    {
        try
        {
            return exception.Type is { Json.ValueKind: JsonValueKind.String } type ? type.Raw() : null;
        }
        catch (AnthropicInvalidDataException)
        {
            return null;
        }
    }

    /// <summary>A code fit for a log line: lower-case letters, digits and underscores only, so a server cannot put a secret or a prompt there.</summary>
    private static string? CodeOf(string? code) =>
        code is { Length: > 0 and <= 64 } && code.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') ? code : null;

    private static JsonElement RedactedJson(JsonElement body, Func<string, string> redact)
    {
        if (body.ValueKind == JsonValueKind.Undefined)
        {
            return body;
        }

        try
        {
            using var document = JsonDocument.Parse(redact(body.GetRawText()));
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
