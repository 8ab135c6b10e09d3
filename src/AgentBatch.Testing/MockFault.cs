namespace AgentBatch.Testing;

/// <summary>A transport-level fault the mock server can answer with instead of a chat reply.</summary>
public enum MockFault
{
    /// <summary>No fault.</summary>
    None,

    /// <summary>The connection is closed without a response.</summary>
    EmptyResponse,

    /// <summary>The response starts, then its body breaks off mid-stream.</summary>
    MalformedResponseChunk,

    /// <summary>
    /// The response starts normally, then the connection closes after the first chunk: for a streaming request, after
    /// the first <c>chat.completion.chunk</c> event (the role and the first piece of text or the first tool call), or
    /// for an Anthropic one after the events up to the first <c>content_block_delta</c>; for any other request, after
    /// the first half of the JSON body.
    /// </summary>
    /// <remarks>The status is 200 and the body's end never arrives, so the client fails while reading it, after what was sent.</remarks>
    DropAfterFirstChunk,
}
