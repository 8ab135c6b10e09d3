using System.ClientModel;
using System.Diagnostics;
using AgentBatch.Internal;

namespace AgentBatch;

/// <summary>Reads the errors of the OpenAI and Azure OpenAI .NET clients for AgentBatch, and removes secrets from them.</summary>
/// <remarks>
/// <para>
/// A <see cref="ClientResultException"/> gives its HTTP status, the wait the server asked for (<c>retry-after-ms</c>,
/// <c>Retry-After</c>) and OpenAI's error code; a 429 whose code is <c>insufficient_quota</c> is a used-up quota, not a
/// rate limit. An exception thrown while the client read a success body (a field of the wrong type, no choices) is an
/// unreadable reply, retried like a malformed one. A redacted copy keeps the type, the status and the headers, with the
/// secrets removed from the message and the body.
/// </para>
/// <para>Attach it to a chat client with <see cref="OpenAIBatchChatClientExtensions.AsBatchChatClient(global::OpenAI.Chat.ChatClient)"/> or <see cref="OpenAIBatchChatClientExtensions.UseOpenAIFaults"/>. Thread-safe.</para>
/// </remarks>
public sealed class OpenAIFaultClassifier : ModelFaultClassifier
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance of the <see cref="OpenAIFaultClassifier"/> class.</summary>
    /// <param name="timeProvider">The clock a <c>Retry-After</c> date is measured against; <see langword="null"/> for the system clock.</param>
    public OpenAIFaultClassifier(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the classifier on the system clock.</summary>
    public static OpenAIFaultClassifier Default { get; } = new();

    /// <inheritdoc />
    public override bool TryClassify(Exception exception, out ModelFault? fault)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case ClientResultException http:
                var response = http.GetRawResponse();
                string? milliseconds = null;
                string? retryAfter = null;
                response?.Headers.TryGetValue("retry-after-ms", out milliseconds);
                response?.Headers.TryGetValue("Retry-After", out retryAfter);
                var code = ErrorCodeOf(http);
                fault = new ModelFault
                {
                    StatusCode = http.Status,
                    RetryAfter = ParseRetryAfter(milliseconds, retryAfter, _timeProvider),
                    QuotaExhausted = http.Status == 429 && (code == "insufficient_quota" || http.Message.Contains("insufficient_quota", StringComparison.Ordinal)),
                    ErrorCode = code,
                };
                return true;

            case InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException or InvalidCastException
                or NullReferenceException or IndexOutOfRangeException when ThrownReadingReply(exception):
                fault = new ModelFault { UnreadableReply = true };
                return true;

            default:
                fault = null;
                return false;
        }
    }

    /// <inheritdoc />
    public override Exception? Redact(Exception exception, Func<string, string> redact, Exception? innerException)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(redact);
        return exception is ClientResultException http
            ? new ClientResultException(redact(http.Message), RedactedPipelineResponse.From(http.GetRawResponse(), redact), innerException)
            : null;
    }

    /// <inheritdoc />
    public override string? GetServerText(Exception exception)
    {
        if (exception is not ClientResultException http)
        {
            return null;
        }

        try
        {
            return http.GetRawResponse()?.Content?.ToString();
        }
        catch (InvalidOperationException)
        {
            // The body was never buffered: nothing of it can reach a message either.
            return null;
        }
    }

    /// <summary>OpenAI's error code (<c>{"error":{"code":"..."}}</c>), never its message.</summary>
    private static string? ErrorCodeOf(ClientResultException http)
    {
        try
        {
            var body = http.GetRawResponse()?.Content;
            if (body is null || body.ToMemory().IsEmpty)
            {
                return null;
            }

            using var document = System.Text.Json.JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == System.Text.Json.JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == System.Text.Json.JsonValueKind.String
                    ? code.GetString()
                    : null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether the exception came out of the client's chat-completion model while it read a reply.</summary>
    /// <remarks>Matched on the reading frames' types: the JIT may inline the small model getters into their callers after warm-up.</remarks>
    private static bool ThrownReadingReply(Exception exception) =>
        new StackTrace(exception, fNeedFileInfo: false).GetFrames().Any(static f => f.GetMethod() is { } method
            && (method.Name is "FromOpenAIChatCompletion" or "FromOpenAIStreamingChatCompletionAsync"
                || method.DeclaringType?.FullName is { } type
                    && (type.StartsWith("OpenAI.Chat.", StringComparison.Ordinal)
                        || type.StartsWith("System.Text.Json.", StringComparison.Ordinal))));
}
