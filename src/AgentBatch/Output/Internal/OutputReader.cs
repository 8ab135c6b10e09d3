using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Turns an item's reply into its output: the caller's output map, or typed output read from JSON.</summary>
internal abstract class OutputReader<TOutput>
{
    /// <summary>The reader behind an output map: typed JSON when it came from <see cref="BatchOutput.Json{T}"/>, otherwise the map itself.</summary>
    public static OutputReader<TOutput> For(Func<ChatResponse, TOutput> outputMap) =>
        outputMap.Target as OutputReader<TOutput> ?? new MappedOutputReader<TOutput>(outputMap);

    /// <summary>Gets the response format every call of the item asks for, or <see langword="null"/> to leave the agent's own.</summary>
    public virtual ChatResponseFormat? ResponseFormat => null;

    /// <summary>Gets a value indicating whether a reply that does not read may be repaired with another turn.</summary>
    public virtual bool Repairs => false;

    /// <summary>Reads the output; throws <see cref="StructuredOutputException"/> for a reply that a repair turn may fix.</summary>
    public abstract TOutput Read(ChatResponse response);

    /// <summary>The user turn that asks the model to repair a reply that did not read.</summary>
    public virtual ChatMessage RepairTurn(StructuredOutputException problem) => throw new NotSupportedException();
}
