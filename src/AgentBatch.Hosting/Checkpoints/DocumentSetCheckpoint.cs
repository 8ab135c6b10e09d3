namespace AgentBatch.Hosting;

/// <summary>One run of a document set, as the checkpoint store knows it.</summary>
/// <param name="SetId">The store's identifier of the run; unique across runs, including runs of a set dropped again under the same name.</param>
/// <param name="SetName">The set's name: its folder name, or its <c>.jsonl</c> file name without the extension.</param>
/// <param name="State">Where the run stands.</param>
/// <param name="StartedAt">When the run was first opened.</param>
/// <param name="RunNumber">1 for the first run of a set with this name, 2 for the next one, and so on.</param>
/// <param name="Identity">What tells the run's set from another dropped later under the same name; <see langword="null"/> when unknown.</param>
public sealed record DocumentSetCheckpoint(string SetId, string SetName, DocumentSetState State, DateTimeOffset StartedAt, int RunNumber, string? Identity = null);
