using System.ComponentModel.DataAnnotations;
using Microsoft.Agents.AI;

namespace AgentBatch;

/// <summary>Options of an <see cref="AgentFrameworkBatchAgent"/>: its name, per-item run options, and a turn limit.</summary>
public sealed class AgentFrameworkBatchAgentOptions
{
    /// <summary>Gets or sets the template's name; clones are named <c>"{Name}-{index}"</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the agent's own name, or <c>"agent"</c>.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets what makes each item's run options (per-item chat options, a response format), by item index.</summary>
    /// <value>The default value is <see langword="null"/>: the agent's defaults for every item.</value>
    /// <remarks>Called once per run of an item's clone; the options it returns are that run's alone.</remarks>
    public Func<int, AgentRunOptions?>? RunOptions { get; set; }

    /// <summary>Gets or sets the most model calls one run of an item may make, tool round trips included; <see langword="null"/> to leave the agent's own limit.</summary>
    /// <value>The default value is <see langword="null"/>. Between 1 and 1,000.</value>
    /// <remarks>Counted by the AgentBatch layer below the agent's function invocation, so the agent's chat client must have it (see <see cref="AgentFrameworkBatchAgent"/>).</remarks>
    [Range(1, 1_000)]
    public int? MaxTurns { get; set; }
}
