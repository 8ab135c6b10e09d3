namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>One file to review.</summary>
/// <param name="Path">The path relative to the analysed folder, with forward slashes.</param>
/// <param name="Text">The file's text.</param>
internal sealed record SourceFile(string Path, string Text)
{
    public string[] Lines { get; } = Text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

    public string Language => System.IO.Path.GetExtension(Path).ToLowerInvariant() switch
    {
        ".c" or ".h" => "C",
        ".cpp" or ".cc" or ".hpp" => "C++",
        ".cs" => "C#",
        ".java" => "Java",
        ".py" => "Python",
        ".js" => "JavaScript",
        ".ts" => "TypeScript",
        ".go" => "Go",
        _ => "text",
    };

    /// <summary>Whether <paramref name="name"/>, as a model wrote it, names this file: its path or its file name.</summary>
    public bool IsNamed(string name)
    {
        var normalized = name.Trim().Replace('\\', '/');
        return string.Equals(normalized, Path, StringComparison.OrdinalIgnoreCase)
            || string.Equals(normalized, System.IO.Path.GetFileName(Path), StringComparison.OrdinalIgnoreCase);
    }
}
