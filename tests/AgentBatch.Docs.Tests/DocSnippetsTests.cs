namespace AgentBatch.Docs.Tests;

/// <summary>Every C# block of README.md and docs/packages/*.md compiles against the real AgentBatch assemblies.</summary>
/// <remarks>A new snippet needs no change here; a snippet that assumes a new variable needs one in <see cref="SnippetContext"/>.</remarks>
public sealed class DocSnippetsTests
{
    private static readonly Lazy<IReadOnlyList<MarkdownSnippet>> AllSnippets = new(() => MarkdownSnippetReader.ReadAll(RepositoryRoot.Path));

    public static TheoryData<string, int> CompiledSnippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var snippet in AllSnippets.Value.Where(snippet => snippet.Mode != SnippetMode.Skip))
        {
            data.Add(snippet.File, snippet.FenceLine);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CompiledSnippets))]
    public void Snippet_Compiles(string file, int fenceLine)
    {
        var snippet = AllSnippets.Value.Single(snippet => snippet.File == file && snippet.FenceLine == fenceLine);

        var errors = SnippetCompiler.Compile(snippet);

        Assert.True(errors.Count == 0, SnippetCompiler.Describe(snippet, errors));
    }

    public static TheoryData<string, int> ProgramsOnTheMock()
    {
        var data = new TheoryData<string, int>();
        foreach (var snippet in AllSnippets.Value.Where(IsProgramOnTheMock))
        {
            data.Add(snippet.File, snippet.FenceLine);
        }

        return data;
    }

    /// <summary>A whole program that needs nothing but the embedded mock runs, and prints what its comment says it prints.</summary>
    [Theory]
    [MemberData(nameof(ProgramsOnTheMock))]
    public async Task ProgramOnTheMock_RunsAndPrintsWhatItSays(string file, int fenceLine)
    {
        var snippet = AllSnippets.Value.Single(snippet => snippet.File == file && snippet.FenceLine == fenceLine);

        var output = await SnippetCompiler.RunProgramAsync(snippet).WaitAsync(TimeSpan.FromMinutes(2));

        // A comment just above the line that prints says what it prints: // "the text", more words.
        var lines = snippet.Code.Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("Console.Write", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.Match(lines[i - 1], "^\\s*//\\s*\"([^\"]+)\"") is { Success: true } said)
            {
                Assert.Contains(said.Groups[1].Value, output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ProgramsOnTheMock_IncludeTheProviderBatchExample()
    {
        Assert.Contains(AllSnippets.Value.Where(IsProgramOnTheMock), snippet => snippet.File == "README.md" && snippet.Code.Contains("BatchExecution.ProviderBatch", StringComparison.Ordinal));
    }

    private static bool IsProgramOnTheMock(MarkdownSnippet snippet) =>
        snippet.Mode == SnippetMode.Fragment
        && SnippetCompiler.IsProgram(snippet)
        && snippet.Code.Contains("MockChatServer.Start", StringComparison.Ordinal)
        && !snippet.Code.Contains("Environment.GetEnvironmentVariable", StringComparison.Ordinal);

    [Fact]
    public void Documents_EachHaveCompiledSnippets()
    {
        var documents = MarkdownSnippetReader.DocumentPaths(RepositoryRoot.Path);

        Assert.Contains("README.md", documents);
        Assert.Contains("docs/packages/AgentBatch.md", documents);
        foreach (var document in documents)
        {
            Assert.Contains(AllSnippets.Value, snippet => snippet.File == document && snippet.Mode != SnippetMode.Skip);
        }
    }

    [Fact]
    public void SkippedSnippets_AreFewAndSayWhy()
    {
        var skipped = AllSnippets.Value.Where(snippet => snippet.Mode == SnippetMode.Skip).ToArray();

        Assert.All(skipped, snippet => Assert.False(string.IsNullOrWhiteSpace(snippet.Reason)));
        Assert.True(skipped.Length * 10 <= AllSnippets.Value.Count, $"{skipped.Length} of {AllSnippets.Value.Count} snippets are skipped: {string.Join(", ", skipped.Select(s => s.ToString()))}");
    }
}
