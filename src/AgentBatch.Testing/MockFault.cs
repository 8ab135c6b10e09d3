namespace AgentBatch.Testing;

/// <summary>A transport-level fault the mock server can answer with instead of a chat completion.</summary>
public enum MockFault
{
    /// <summary>No fault.</summary>
    None,

    /// <summary>The connection is closed without a response.</summary>
    EmptyResponse,

    /// <summary>The response starts, then its body breaks off mid-stream.</summary>
    MalformedResponseChunk,
}
