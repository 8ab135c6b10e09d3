using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Counts tokens the way a model provider bills them, so that budgets can be reserved before a call is made.</summary>
/// <remarks>Implementations must be thread-safe: a batch counts from many items at once.</remarks>
public interface ITokenCounter
{
    /// <summary>Counts the tokens of a piece of text under the encoding of <paramref name="modelId"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="modelId">The model id, or <see langword="null"/> for the counter's default encoding.</param>
    /// <returns>The number of tokens.</returns>
    int CountTokens(string text, string? modelId = null);

    /// <summary>Counts the input tokens of a chat request as the provider bills them, per-message and reply-priming overhead included.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options (model id, tools), if any.</param>
    /// <returns>The number of input tokens.</returns>
    int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options = null);
}
