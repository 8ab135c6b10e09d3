using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>
/// Anthropic's Messages API: <c>POST /v1/messages</c>, read and answered as <see cref="AnthropicMessagesJson"/> says,
/// every response with a <c>request-id</c> header as the real API sends.
/// </summary>
internal sealed class AnthropicMessagesWireFormat : MockWireFormat
{
    private AnthropicMessagesWireFormat()
    {
    }

    /// <summary>Gets the one instance; it holds no state.</summary>
    public static AnthropicMessagesWireFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string BrokenBody => """{"id":"msg_broken","type":"message","role":"assistant","content":[{"type":"te""";

    /// <inheritdoc />
    public override string RequestIdHeader => "request-id";

    /// <inheritdoc />
    public override JsonNode? Read(string rawBody, out string? refusal)
    {
        if (MockJson.ParseObject(rawBody) is not { } parameters)
        {
            refusal = "The request body is not valid JSON.";
            return null;
        }

        refusal = AnthropicMessagesJson.Refusal(parameters);
        return refusal is null ? AnthropicMessagesJson.ToChatShape(parameters) : null;
    }

    /// <inheritdoc />
    public override string Completion(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        var (input, output) = MockCompletionBodies.UsageFigures(request, reply, counter);
        return AnthropicMessagesJson.Message(request, reply, input, output, AnthropicMessagesJson.StandardTier).ToJsonString();
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> StreamPieces(MockChatRequest request, MockChatReply reply, ITokenCounter? counter)
    {
        var (input, output) = MockCompletionBodies.UsageFigures(request, reply, counter);
        return AnthropicMessagesJson.StreamPieces(request, reply, input, output);
    }

    /// <inheritdoc />
    public override string Error(int status, string message, string? requestId) =>
        AnthropicMessagesJson.Error(status, message, requestId ?? "req_mock").ToJsonString();
}
