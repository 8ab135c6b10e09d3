using System.Text.Json.Nodes;

namespace AgentBatch.Testing.Internal;

/// <summary>One provider's live chat wire format, as the mock server reads requests in it and writes replies in it.</summary>
/// <remarks>
/// The server's handling of a request (recording, the responder, delays, faults) is the same for every provider; only
/// what goes over the wire differs. Every request is read into the chat-completions shape, so one responder answers all.
/// </remarks>
internal abstract class MockWireFormat
{
    /// <summary>Reads a request body into the chat-completions shape that <see cref="MockChatRequest"/> is read from.</summary>
    /// <param name="rawBody">The body as received.</param>
    /// <param name="refusal">The message of the 400 the provider would refuse the request with; <see langword="null"/> when it is accepted.</param>
    /// <returns>The request in the chat-completions shape, or <see langword="null"/> when refused.</returns>
    public abstract JsonNode? Read(string rawBody, out string? refusal);

    /// <summary>The body of a non-streamed answer.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="counter">The counter for usage figures the reply does not set; <see langword="null"/> for an estimate.</param>
    /// <returns>The JSON body.</returns>
    public abstract string Completion(MockChatRequest request, MockChatReply reply, ITokenCounter? counter);

    /// <summary>The body of a streamed answer, in the pieces the server writes and flushes one at a time.</summary>
    /// <param name="request">The request.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="counter">The counter for usage figures the reply does not set; <see langword="null"/> for an estimate.</param>
    /// <returns>The pieces; the first already says something (the first piece of text or the first tool call).</returns>
    public abstract IReadOnlyList<string> StreamPieces(MockChatRequest request, MockChatReply reply, ITokenCounter? counter);

    /// <summary>The provider's error body.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="message">The message.</param>
    /// <param name="requestId">The request id the response carries in <see cref="RequestIdHeader"/>, or <see langword="null"/>.</param>
    /// <returns>The JSON body.</returns>
    public abstract string Error(int status, string message, string? requestId);

    /// <summary>Gets the start of a success body that breaks off, for <see cref="MockFault.MalformedResponseChunk"/>.</summary>
    public abstract string BrokenBody { get; }

    /// <summary>Gets the response header that carries a request id on every response, or <see langword="null"/> when the provider sends none.</summary>
    public virtual string? RequestIdHeader => null;
}
