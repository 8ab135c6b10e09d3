namespace AgentBatch.Hosting;

/// <summary>One document of a set as a shared store keeps it: its key, its name, and its text or why it cannot be sent.</summary>
/// <param name="Key">The document's key within the set: its path within the folder, or <c>line:N</c> for a JSONL record.</param>
/// <param name="Name">The document's name.</param>
/// <param name="Text">The document's text; <see langword="null"/> when <paramref name="Problem"/> is set.</param>
/// <param name="Problem">Why the document cannot be sent (empty, binary, too large, ...), which becomes its error; <see langword="null"/> for a good document.</param>
public sealed record SetDocument(string Key, string Name, string? Text, string? Problem);
