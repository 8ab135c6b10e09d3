using Microsoft.Agents.AI;

namespace AgentBatch;

/// <summary>Makes a Microsoft Agent Framework agent a batch template.</summary>
public static class AIAgentBatchExtensions
{
    /// <summary>Returns <paramref name="agent"/> as a batch template: each item runs in a fresh session of its own.</summary>
    /// <param name="agent">The agent.</param>
    /// <param name="options">The options; <see langword="null"/> for defaults.</param>
    /// <returns>The template, for any <c>RunBatchAsync</c> or <c>StreamBatchAsync</c> overload.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> is <see langword="null"/>.</exception>
    public static AgentFrameworkBatchAgent AsBatchAgent(this AIAgent agent, AgentFrameworkBatchAgentOptions? options = null) => new(agent, options);
}
