namespace AgentBatch.Hosting.Internal;

/// <summary>A set found in the inbox: a folder of documents or a JSONL file of records.</summary>
/// <param name="Name">The set's name: the folder name, or the file name without <c>.jsonl</c>.</param>
/// <param name="Path">The folder or file.</param>
/// <param name="IsJsonl">Whether the set is a JSONL file.</param>
/// <param name="Manifest">The set's <c>set.json</c>, or defaults.</param>
/// <param name="ManifestPath">The manifest file beside a JSONL set, moved with it; <see langword="null"/> if none.</param>
/// <param name="Sequence">The order the worker first saw the set in, for first-come-first-served order within a priority.</param>
/// <param name="Problem">Why the set cannot run (a manifest that does not parse); <see langword="null"/> for a good set.</param>
internal sealed record DocumentSet(string Name, string Path, bool IsJsonl, SetManifest Manifest, string? ManifestPath, long Sequence, string? Problem);
