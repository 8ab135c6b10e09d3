using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>The caller's output map: whatever it throws fails the item, never repaired.</summary>
internal sealed class MappedOutputReader<TOutput>(Func<ChatResponse, TOutput> outputMap) : OutputReader<TOutput>
{
    public override TOutput Read(ChatResponse response) => outputMap(response);
}
