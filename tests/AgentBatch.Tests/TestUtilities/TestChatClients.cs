using AgentBatch;
using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using AnthropicClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Tests;

/// <summary>Real provider clients: OpenAI's for endpoints other than <c>MockChatServer</c> (dead ports, raw socket servers), Anthropic's for any.</summary>
internal static class TestChatClients
{
    /// <summary>The real OpenAI chat client against <paramref name="endpoint"/>, with its own retries off.</summary>
    public static IChatClient OpenAI(Uri endpoint) =>
        new OpenAIClient(new ApiKeyCredential("test-key"), new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o-mini")
            .AsBatchChatClient();

    /// <summary>The real Anthropic client against <paramref name="baseUrl"/> (a <c>MockChatServer</c>'s <c>Url</c>), with its own retries off.</summary>
    public static global::Anthropic.AnthropicClient Anthropic(Uri baseUrl, string apiKey = "sk-ant-api03-test-key-not-secret") =>
        new(new AnthropicClientOptions { ApiKey = apiKey, BaseUrl = baseUrl.ToString(), MaxRetries = 0 });
}
