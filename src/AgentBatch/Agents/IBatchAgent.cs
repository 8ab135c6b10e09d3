using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>An agent that can be cloned into an isolated copy per batch item and run on one input.</summary>
/// <remarks>
/// <para>
/// <see cref="BatchRunner"/> never runs the template itself: it calls <see cref="Clone(int)"/> once per item and
/// runs the clone. An implementation's <see cref="Clone(int)"/> must return an agent with its own, fresh per-item
/// state (history, scratch data), sharing only what is safe to share (the chat client, tool instances).
/// </para>
/// <para>An agent instance is not required to support concurrent <see cref="RunAsync"/> calls.</para>
/// </remarks>
public interface IBatchAgent
{
    /// <summary>Gets the agent's name. Clones are conventionally named <c>"{Name}-{index}"</c>.</summary>
    string Name { get; }

    /// <summary>Gets this agent's own conversation so far: instructions, initial messages, inputs and replies.</summary>
    IReadOnlyList<ChatMessage> History { get; }

    /// <summary>Creates a fresh, isolated copy of this agent for the item at <paramref name="index"/>.</summary>
    /// <param name="index">The zero-based position of the item in the batch's input.</param>
    /// <returns>A new agent whose history and per-item state are independent of this one and of every other clone.</returns>
    IBatchAgent Clone(int index);

    /// <summary>Sends <paramref name="input"/> to the model as the next user turn and returns the model's final reply.</summary>
    /// <param name="input">The user input for this turn.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The model's reply, after any tool calls have been resolved.</returns>
    Task<ChatResponse> RunAsync(string input, CancellationToken cancellationToken = default);
}
