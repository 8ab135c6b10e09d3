namespace AgentBatch.Docs.Tests;

public sealed class MarkdownSnippetReaderTests
{
    [Fact]
    public void Read_CSharpFences_ReturnsCodeAndFenceLine()
    {
        const string Markdown = "# Title\n\n```csharp\nvar a = 1;\nvar b = 2;\n```\n\ntext\n\n```cs\nvar c = 3;\n```\n";

        var snippets = MarkdownSnippetReader.Read("doc.md", Markdown);

        Assert.Collection(
            snippets,
            first =>
            {
                Assert.Equal(("doc.md", 3, 4), (first.File, first.FenceLine, first.FirstCodeLine));
                Assert.Equal("var a = 1;\nvar b = 2;", first.Code);
                Assert.Equal(SnippetMode.Fragment, first.Mode);
            },
            second => Assert.Equal((10, "var c = 3;"), (second.FenceLine, second.Code)));
    }

    [Fact]
    public void Read_OtherFences_AreIgnoredWithTheirContent()
    {
        const string Markdown = "```bash\ndotnet test\n```\n````markdown\n```csharp\nnot code\n```\n````\n```json\n{}\n```\n";

        Assert.Empty(MarkdownSnippetReader.Read("doc.md", Markdown));
    }

    [Fact]
    public void Read_IndentedFence_RemovesTheFenceIndentation()
    {
        const string Markdown = "- item:\n\n  ```csharp\n  if (x)\n  {\n      y();\n  }\n  ```\n";

        var snippet = Assert.Single(MarkdownSnippetReader.Read("doc.md", Markdown));

        Assert.Equal("if (x)\n{\n    y();\n}", snippet.Code);
    }

    [Fact]
    public void Read_CommentBeforeFence_SetsTheMode()
    {
        const string Markdown = "<!-- snippet: file -->\n```csharp\nclass A { }\n```\n\n<!-- snippet: skip (pseudo-code: an outline, not C#) -->\n\n```csharp\nstep 1 ...\n```\n";

        var snippets = MarkdownSnippetReader.Read("doc.md", Markdown);

        Assert.Equal([SnippetMode.File, SnippetMode.Skip], snippets.Select(snippet => snippet.Mode));
        Assert.Null(snippets[0].Reason);
        Assert.Equal("pseudo-code: an outline, not C#", snippets[1].Reason);
    }

    [Theory]
    [InlineData("<!-- snippet: skip -->\n```csharp\nx\n```\n", "doc.md:1: a skipped snippet says why")]
    [InlineData("<!-- snippet: skip () -->\n```csharp\nx\n```\n", "doc.md:1: a skipped snippet says why")]
    [InlineData("<!-- snippet: fiel -->\n```csharp\nx\n```\n", "doc.md:1: unknown snippet comment 'fiel'")]
    [InlineData("<!-- snippet file -->\n```csharp\nx\n```\n", "doc.md:1: a snippet comment reads")]
    [InlineData("\n<!-- snippet: file -->\ntext\n```csharp\nx\n```\n", "doc.md:2: a snippet comment must stand just before")]
    [InlineData("<!-- snippet: file -->\n```bash\nx\n```\n", "doc.md:1: a snippet comment must stand just before a ```csharp fence, not a 'bash' one")]
    [InlineData("text\n<!-- snippet: file -->\n", "doc.md:2: a snippet comment must stand just before")]
    [InlineData("\n\n```csharp\nx\n", "doc.md:3: the fence is never closed")]
    public void Read_BadCommentOrFence_ThrowsNamingTheLine(string markdown, string expected)
    {
        var error = Assert.Throws<FormatException>(() => MarkdownSnippetReader.Read("doc.md", markdown));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
