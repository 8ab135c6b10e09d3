using System.Globalization;
using System.Text;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>What the model is told: the instructions every clone shares, and each file as a numbered listing.</summary>
internal static class AnalyzerPrompt
{
    public const string Instructions = $"""
        You are a security code reviewer. You are given one source file with numbered lines.
        For each security vulnerability in it (buffer overflows, injection, format strings, hard-coded secrets,
        weak cryptography and the like), call {ReportFindingTool.Name} once with the file name exactly as given, the line
        number shown at the start of the flawed line, a severity (low, medium, high or critical) and one sentence
        saying what is wrong and how to fix it. Report only real vulnerabilities, not style. A file may have none.
        When you have reported everything, reply with a one-sentence summary.
        """;

    private const string FileLabel = "File: ";
    private const string LineSeparator = "| ";

    /// <summary>The agent's input for <paramref name="file"/>: its name, its language and its lines, numbered.</summary>
    public static string Input(SourceFile file)
    {
        var text = new StringBuilder()
            .Append(FileLabel).AppendLine(file.Path)
            .Append("Language: ").AppendLine(file.Language)
            .AppendLine("```");
        var width = file.Lines.Length.ToString(CultureInfo.InvariantCulture).Length;
        for (var i = 0; i < file.Lines.Length; i++)
        {
            text.Append((i + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width)).Append(LineSeparator).AppendLine(file.Lines[i]);
        }

        return text.Append("```").ToString();
    }

    /// <summary>Reads back a file name and its numbered lines from an <see cref="Input"/> text (the mock model's side).</summary>
    public static bool TryParse(string input, out string fileName, out IReadOnlyList<(int Number, string Text)> lines)
    {
        var all = input.ReplaceLineEndings("\n").Split('\n');
        fileName = all.FirstOrDefault(line => line.StartsWith(FileLabel, StringComparison.Ordinal))?[FileLabel.Length..].Trim() ?? string.Empty;
        var numbered = new List<(int, string)>();
        foreach (var line in all)
        {
            var separator = line.IndexOf(LineSeparator, StringComparison.Ordinal);
            if (separator > 0 && int.TryParse(line.AsSpan(0, separator), NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out var number))
            {
                numbered.Add((number, line[(separator + LineSeparator.Length)..]));
            }
        }

        lines = numbered;
        return fileName.Length > 0;
    }
}
