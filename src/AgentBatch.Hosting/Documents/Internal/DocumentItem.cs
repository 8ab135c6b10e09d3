namespace AgentBatch.Hosting.Internal;

/// <summary>One document read from a set: its text, or why it cannot be sent.</summary>
/// <param name="Key">The document's key within the set.</param>
/// <param name="Name">The document's name.</param>
/// <param name="Text">The document's text; <see langword="null"/> when <paramref name="Problem"/> is set.</param>
/// <param name="Problem">Why the document cannot be sent; <see langword="null"/> for a good document.</param>
internal sealed record DocumentItem(string Key, string Name, string? Text, string? Problem)
{
    public static DocumentItem Bad(string key, string name, string problem) => new(key, name, null, problem);
}
