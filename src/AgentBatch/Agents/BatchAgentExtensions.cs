using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Conveniences for running an <see cref="IBatchAgent"/> outside a batch.</summary>
public static class BatchAgentExtensions
{
    /// <summary>Sends <paramref name="input"/> to the model as the next user turn and returns the model's final reply.</summary>
    /// <param name="agent">The agent.</param>
    /// <param name="input">The user's text.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The model's reply.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> or <paramref name="input"/> is <see langword="null"/>.</exception>
    public static Task<ChatResponse> RunAsync(this IBatchAgent agent, string input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(input);
        return agent.RunAsync([new ChatMessage(ChatRole.User, input)], cancellationToken);
    }
}
