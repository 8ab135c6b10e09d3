using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>OpenAI's chat completions: <c>POST /v1/chat/completions</c>, answered as <see cref="MockCompletionBodies"/> writes them.</summary>
internal sealed class OpenAIChatWireFormat : MockWireFormat
{
    private OpenAIChatWireFormat()
    {
    }

    /// <summary>Gets the one instance; it holds no state.</summary>
    public static OpenAIChatWireFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string BrokenBody => """{"id":"chatcmpl-broken","choices":[{"index":0,"message":{"role":"assi""";

    /// <inheritdoc />
    public override JsonNode? Read(string rawBody, out string? refusal)
    {
        try
        {
            refusal = null;
            return JsonNode.Parse(rawBody);
        }
        catch (JsonException)
        {
            refusal = "The request body is not valid JSON.";
            return null;
        }
    }

    /// <inheritdoc />
    public override string Completion(MockChatRequest request, MockChatReply reply, ITokenCounter? counter) =>
        MockCompletionBodies.Completion(request, reply, counter);

    /// <inheritdoc />
    public override IReadOnlyList<string> StreamPieces(MockChatRequest request, MockChatReply reply, ITokenCounter? counter) =>
        MockCompletionBodies.StreamEvents(request, reply, counter);

    /// <inheritdoc />
    public override string Error(int status, string message, string? requestId) => MockCompletionBodies.Error(status, message);
}
