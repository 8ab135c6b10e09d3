using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace AgentBatch.Testing.Internal;

/// <summary>Responses of the batch endpoints, in each provider's shapes, and reads of the request's path and query.</summary>
internal static class MockHttp
{
    /// <summary>A JSON response.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="body">The body.</param>
    /// <param name="requestIdHeader">The header that carries the request id (<c>x-request-id</c> for OpenAI, <c>request-id</c> for Anthropic), if any.</param>
    /// <param name="requestId">The request id.</param>
    /// <returns>The response.</returns>
    public static ResponseMessage Json(int status, JsonNode body, string? requestIdHeader = null, string? requestId = null)
    {
        var message = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
        };
        message.AddHeader("Content-Type", "application/json");
        if (requestIdHeader is not null && requestId is not null)
        {
            message.AddHeader(requestIdHeader, requestId);
        }

        return message;
    }

    /// <summary>A 200 response with a file's bytes.</summary>
    /// <param name="content">The bytes.</param>
    /// <param name="contentType">The content type.</param>
    /// <returns>The response.</returns>
    public static ResponseMessage Bytes(BinaryData content, string contentType)
    {
        var message = new ResponseMessage
        {
            StatusCode = 200,
            BodyData = new BodyData { BodyAsBytes = content.ToArray(), DetectedBodyType = BodyType.Bytes },
        };
        message.AddHeader("Content-Type", contentType);
        return message;
    }

    /// <summary>An OpenAI error response: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="message">The message.</param>
    /// <param name="param">The parameter at fault, if any.</param>
    /// <param name="code">The error code, if any.</param>
    /// <param name="type">The error type.</param>
    /// <returns>The response.</returns>
    public static ResponseMessage OpenAIError(int status, string message, string? param = null, string? code = null, string? type = null) =>
        Json(status, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
                ["param"] = param,
                ["code"] = code,
            },
        });

    /// <summary>An Anthropic error response: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="message">The message.</param>
    /// <param name="requestId">The request id, also sent as the <c>request-id</c> header.</param>
    /// <returns>The response.</returns>
    public static ResponseMessage AnthropicError(int status, string message, string requestId) =>
        Json(status, AnthropicMessagesJson.Error(status, message, requestId), "request-id", requestId);

    /// <summary>The path's segments after <c>/v1</c>: <c>/v1/batches/b1/cancel</c> gives <c>batches</c>, <c>b1</c>, <c>cancel</c>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The segments, unescaped.</returns>
    public static string[] Segments(IRequestMessage request) =>
        request.Path.Trim('/').Split('/').Skip(1).Select(Uri.UnescapeDataString).ToArray();

    /// <summary>The first value of a query parameter, or <see langword="null"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="name">The parameter name.</param>
    /// <returns>The value.</returns>
    public static string? Query(IRequestMessage request, string name) =>
        request.Query is { } query && query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>A page size from the query: <paramref name="fallback"/> if absent, <see langword="null"/> if not an integer within range.</summary>
    /// <param name="request">The request.</param>
    /// <param name="fallback">The default.</param>
    /// <param name="max">The largest allowed.</param>
    /// <returns>The limit, or <see langword="null"/> if invalid.</returns>
    public static int? Limit(IRequestMessage request, int fallback, int max)
    {
        var text = Query(request, "limit");
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= max ? limit : null;
    }
}
