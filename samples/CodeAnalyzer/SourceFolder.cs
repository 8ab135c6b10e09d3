namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>Finds the source files to review in a folder.</summary>
internal static class SourceFolder
{
    public static readonly string[] Extensions = [".c", ".h", ".cpp", ".cc", ".hpp", ".cs", ".java", ".py", ".js", ".ts", ".go"];

    private static readonly string[] SkippedFolders = ["bin", "obj", ".git", "node_modules"];

    /// <summary>The folder bundled with the sample: small C and C# files, some with classic flaws.</summary>
    public static string Bundled => Path.Combine(AppContext.BaseDirectory, "Snippets");

    public static SourceFile[] Load(DirectoryInfo folder)
    {
        if (!folder.Exists)
        {
            throw new SampleException(SampleExitCodes.Usage, $"folder not found: {folder.FullName}");
        }

        var files = folder.EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(file => Extensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase))
            .Select(file => Path.GetRelativePath(folder.FullName, file.FullName).Replace('\\', '/'))
            .Where(path => !path.Split('/').SkipLast(1).Any(part => SkippedFolders.Contains(part, StringComparer.OrdinalIgnoreCase)))
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(path => new SourceFile(path, File.ReadAllText(Path.Combine(folder.FullName, path))))
            .ToArray();

        return files.Length > 0
            ? files
            : throw new SampleException(SampleExitCodes.Usage, $"no source files ({string.Join(", ", Extensions)}) in {folder.FullName}");
    }
}
