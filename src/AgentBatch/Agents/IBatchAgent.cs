using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>An agent that can be cloned into an isolated copy per batch item and run on one item's input.</summary>
/// <remarks>
/// <para>
/// <see cref="BatchRunner"/> never runs the template itself: it calls <see cref="Clone(int)"/> once per item and
/// runs the clone. An implementation's <see cref="Clone(int)"/> must return an agent with its own, fresh per-item
/// state (history, scratch data), sharing only what is safe to share (the chat client, tool instances).
/// </para>
/// <para>
/// For the batch's caps, pacing, retries and counts to apply to an agent's model calls, its chat client must pass them
/// through the AgentBatch layer (<c>UseAgentBatch()</c>); <see cref="ChatAgent"/> adds it itself.
/// </para>
/// <para>An agent instance is not required to support concurrent <see cref="RunAsync"/> calls.</para>
/// </remarks>
public interface IBatchAgent
{
    /// <summary>Gets the agent's name. Clones are conventionally named <c>"{Name}-{index}"</c>.</summary>
    string Name { get; }

    /// <summary>Creates a fresh, isolated copy of this agent for the item at <paramref name="index"/>.</summary>
    /// <param name="index">The zero-based position of the item in the batch's input.</param>
    /// <returns>A new agent whose per-item state is independent of this one and of every other clone.</returns>
    IBatchAgent Clone(int index);

    /// <summary>Sends <paramref name="input"/> to the model as the next turn and returns the model's final reply.</summary>
    /// <param name="input">The messages of this turn: usually one user message, perhaps with images or files, or a prepared conversation.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The model's reply, after any tool calls have been resolved.</returns>
    Task<ChatResponse> RunAsync(IReadOnlyList<ChatMessage> input, CancellationToken cancellationToken = default);
}
