namespace AgentBatch.Hosting.Tests;

/// <summary>The chat client a <see cref="WorkerTestBed"/> host registers for the default batch.</summary>
internal enum BedChatClient
{
    /// <summary>The mock server's own client, registered with <c>AddChatClient</c>.</summary>
    Mock,

    /// <summary>AgentBatch.OpenAI's client, built from the <c>AgentBatch:Endpoint</c>, <c>Model</c> and <c>ApiKey</c> settings.</summary>
    OpenAI,

    /// <summary>None: the test registers its own, or none at all.</summary>
    None,
}
