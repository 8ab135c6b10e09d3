using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Budgets;

/// <summary>A token counter that counts every request as the same number of input tokens, so estimates are exact in tests.</summary>
internal sealed class FixedTokenCounter(int inputTokens) : ITokenCounter
{
    public int CountTokens(string text, string? modelId = null) => inputTokens;

    public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options = null) => inputTokens;
}
