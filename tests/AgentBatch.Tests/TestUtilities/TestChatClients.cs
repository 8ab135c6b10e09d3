using AgentBatch;
using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentBatch.Tests;

/// <summary>Real OpenAI clients for endpoints other than <c>MockChatServer</c> (dead ports, raw socket servers).</summary>
internal static class TestChatClients
{
    /// <summary>The real OpenAI chat client against <paramref name="endpoint"/>, with its own retries off.</summary>
    public static IChatClient OpenAI(Uri endpoint) =>
        new OpenAIClient(new ApiKeyCredential("test-key"), new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o-mini")
            .AsBatchChatClient();
}
