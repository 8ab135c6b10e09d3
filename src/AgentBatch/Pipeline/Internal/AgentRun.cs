namespace AgentBatch.Internal;

/// <summary>One run of an agent's tool loop on behalf of an item (or outside a batch), with the turns it may still take.</summary>
/// <remarks>
/// <para>
/// Why <see cref="ChatAgentOptions.MaxTurns"/> needs a counter of its own: the function-invocation loop
/// (<c>FunctionInvokingChatClient.MaximumIterationsPerRequest</c>) bounds the iterations in which it invokes functions,
/// not requests: after its last such iteration it sends one more request and returns that reply with its tool calls
/// unanswered, so <c>N</c> iterations are <c>N + 1</c> requests. The AgentBatch layer sits below the loop and sees every
/// logical call; it takes a turn from this counter before each one, so an item never makes more than <c>MaxTurns</c>
/// model calls (retries of one call are attempts of that call, not turns), whatever the loop does.
/// </para>
/// <para>It flows in the same slot as the item (<see cref="BatchItemContext"/>), so a run inside a batch keeps its item.</para>
/// </remarks>
internal sealed class AgentRun
{
    private readonly int _maxTurns;
    private int _used;

    public AgentRun(BatchItemContext? item, int maxTurns)
    {
        Item = item;
        _maxTurns = maxTurns;
    }

    public BatchItemContext? Item { get; }

    /// <summary>Takes one turn for the next model call.</summary>
    /// <exception cref="MaxTurnsExceededException">The run has already made <c>MaxTurns</c> calls.</exception>
    public void TakeTurn()
    {
        if (Interlocked.Increment(ref _used) > _maxTurns)
        {
            throw new MaxTurnsExceededException(_maxTurns);
        }
    }
}
