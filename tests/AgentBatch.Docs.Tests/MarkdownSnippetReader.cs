using System.Text.RegularExpressions;

namespace AgentBatch.Docs.Tests;

/// <summary>Finds the C# blocks of the documentation: every <c>```csharp</c> fence of README.md and docs/packages/*.md.</summary>
/// <remarks>
/// A block may be preceded (blank lines aside) by one comment that says how to compile it:
/// <c>&lt;!-- snippet: file --&gt;</c> or <c>&lt;!-- snippet: skip (reason) --&gt;</c>. A malformed or misplaced comment,
/// a skip without a reason and an unclosed fence throw <see cref="FormatException"/> naming the file and line, so a
/// typo never turns a check off silently.
/// </remarks>
public static partial class MarkdownSnippetReader
{
    private static readonly string[] CSharpInfoStrings = ["csharp", "cs", "c#"];

    /// <summary>Gets the documents whose snippets are compiled, relative to the repository root, in a stable order.</summary>
    /// <param name="repositoryRoot">The folder that holds AgentBatch.sln.</param>
    /// <returns>README.md, then docs/packages/*.md by name.</returns>
    public static IReadOnlyList<string> DocumentPaths(string repositoryRoot)
    {
        var packageDocs = Directory.GetFiles(Path.Combine(repositoryRoot, "docs", "packages"), "*.md")
            .Select(path => Path.GetRelativePath(repositoryRoot, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        return ["README.md", .. packageDocs];
    }

    /// <summary>Reads the snippets of every document in <see cref="DocumentPaths"/>.</summary>
    /// <param name="repositoryRoot">The folder that holds AgentBatch.sln.</param>
    /// <returns>The snippets, document by document, in document order.</returns>
    public static IReadOnlyList<MarkdownSnippet> ReadAll(string repositoryRoot) =>
        DocumentPaths(repositoryRoot)
            .SelectMany(file => Read(file, File.ReadAllText(Path.Combine(repositoryRoot, file))))
            .ToArray();

    /// <summary>Reads the C# snippets of one Markdown document.</summary>
    /// <param name="file">The document's name, as diagnostics should show it.</param>
    /// <param name="markdown">The document's text.</param>
    /// <returns>The snippets in document order.</returns>
    /// <exception cref="FormatException">A snippet comment is malformed or misplaced, or a fence is not closed.</exception>
    public static IReadOnlyList<MarkdownSnippet> Read(string file, string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var snippets = new List<MarkdownSnippet>();
        (SnippetMode Mode, string? Reason, int Line)? directive = null;

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var lineNumber = i + 1;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var open = FenceOpen().Match(line);
            if (!open.Success)
            {
                if (directive is { } stray)
                {
                    throw new FormatException($"{file}:{stray.Line}: a snippet comment must stand just before a ```csharp fence.");
                }

                if (DirectiveStart().IsMatch(line))
                {
                    directive = ParseDirective(file, lineNumber, line);
                }

                continue;
            }

            var indent = open.Groups["indent"].Length;
            var fence = open.Groups["fence"].Value;
            var info = open.Groups["info"].Value;
            var body = new List<string>();
            var close = -1;
            for (var j = i + 1; j < lines.Length; j++)
            {
                if (IsFenceClose(lines[j], fence))
                {
                    close = j;
                    break;
                }

                body.Add(Unindent(lines[j], indent));
            }

            if (close < 0)
            {
                throw new FormatException($"{file}:{lineNumber}: the fence is never closed.");
            }

            var isCSharp = CSharpInfoStrings.Contains(info, StringComparer.OrdinalIgnoreCase);
            if (isCSharp)
            {
                var mode = directive?.Mode ?? SnippetMode.Fragment;
                snippets.Add(new MarkdownSnippet(file, lineNumber, string.Join('\n', body), mode, directive?.Reason));
            }
            else if (directive is { } misplaced)
            {
                throw new FormatException($"{file}:{misplaced.Line}: a snippet comment must stand just before a ```csharp fence, not a '{info}' one.");
            }

            directive = null;
            i = close;
        }

        if (directive is { } last)
        {
            throw new FormatException($"{file}:{last.Line}: a snippet comment must stand just before a ```csharp fence.");
        }

        return snippets;
    }

    private static (SnippetMode Mode, string? Reason, int Line) ParseDirective(string file, int lineNumber, string line)
    {
        var match = Directive().Match(line);
        if (!match.Success)
        {
            throw new FormatException($"{file}:{lineNumber}: a snippet comment reads '<!-- snippet: file -->' or '<!-- snippet: skip (reason) -->'; this one is '{line.Trim()}'.");
        }

        var reason = match.Groups["reason"].Success ? match.Groups["reason"].Value.Trim() : null;
        return match.Groups["mode"].Value switch
        {
            "file" when reason is null => (SnippetMode.File, null, lineNumber),
            "skip" when !string.IsNullOrEmpty(reason) => (SnippetMode.Skip, reason, lineNumber),
            "skip" => throw new FormatException($"{file}:{lineNumber}: a skipped snippet says why: '<!-- snippet: skip (reason) -->'."),
            var other => throw new FormatException($"{file}:{lineNumber}: unknown snippet comment '{other}'; use 'file' or 'skip (reason)'."),
        };
    }

    private static bool IsFenceClose(string line, string fence)
    {
        var trimmed = line.Trim();
        return trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0]);
    }

    private static string Unindent(string line, int indent)
    {
        var spaces = 0;
        while (spaces < indent && spaces < line.Length && line[spaces] == ' ')
        {
            spaces++;
        }

        return line[spaces..];
    }

    [GeneratedRegex(@"^(?<indent> *)(?<fence>`{3,}|~{3,})\s*(?<info>[^\s`]*)")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^\s*<!--\s*snippet\b")]
    private static partial Regex DirectiveStart();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<mode>[a-z]+)\s*(?:\((?<reason>.*)\))?\s*-->\s*$")]
    private static partial Regex Directive();
}
