using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>One request of a batch: what the client sent, and its result once it has one.</summary>
/// <remarks>Mutable; guarded by the batch store's lock like the <see cref="MockBatchRecord"/> that holds it.</remarks>
internal sealed class MockBatchLine
{
    /// <summary>Initializes a new instance of the <see cref="MockBatchLine"/> class.</summary>
    /// <param name="index">The request's position in the input, from 0.</param>
    /// <param name="customId">The request's <c>custom_id</c>, or <see langword="null"/> for an OpenAI line that has none.</param>
    /// <param name="rawBody">The request as the batch carried it (an OpenAI line's <c>body</c>, an Anthropic request's <c>params</c>).</param>
    /// <param name="chatBody">The request in the chat-completions shape that <see cref="MockChatRequest"/> reads.</param>
    public MockBatchLine(int index, string? customId, string rawBody, JsonNode? chatBody)
    {
        Index = index;
        CustomId = customId;
        RawBody = rawBody;
        ChatBody = chatBody;
    }

    /// <summary>Gets the request's position in the input, from 0.</summary>
    public int Index { get; }

    /// <summary>Gets the request's <c>custom_id</c>.</summary>
    public string? CustomId { get; }

    /// <summary>Gets the request as the batch carried it.</summary>
    public string RawBody { get; }

    /// <summary>Gets the request in the chat-completions shape.</summary>
    public JsonNode? ChatBody { get; }

    /// <summary>Gets or sets what became of the request.</summary>
    public MockBatchOutcome Outcome { get; set; }

    /// <summary>Gets or sets the result line, as the provider writes it: OpenAI's output or error line, Anthropic's result line.</summary>
    public JsonObject? Result { get; set; }

    /// <summary>Gets or sets the input tokens the reply reported, for the batch's usage total.</summary>
    public int InputTokens { get; set; }

    /// <summary>Gets or sets the output tokens the reply reported, for the batch's usage total.</summary>
    public int OutputTokens { get; set; }
}
