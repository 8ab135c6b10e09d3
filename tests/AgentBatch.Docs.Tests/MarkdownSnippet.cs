namespace AgentBatch.Docs.Tests;

/// <summary>One <c>```csharp</c> block of a Markdown document.</summary>
/// <param name="File">The document's path relative to the repository root, with <c>/</c> separators.</param>
/// <param name="FenceLine">The 1-based line of the opening fence; the code starts on the next line.</param>
/// <param name="Code">The block's text, without the fences and without the fence's indentation.</param>
/// <param name="Mode">How it is compiled.</param>
/// <param name="Reason">Why it is skipped, for <see cref="SnippetMode.Skip"/>; otherwise <see langword="null"/>.</param>
public sealed record MarkdownSnippet(string File, int FenceLine, string Code, SnippetMode Mode, string? Reason)
{
    /// <summary>Gets the 1-based document line of the code's first line.</summary>
    public int FirstCodeLine => FenceLine + 1;

    /// <inheritdoc/>
    public override string ToString() => $"{File}:{FenceLine}";
}
