using Microsoft.CodeAnalysis;

namespace AgentBatch.Docs.Tests;

public sealed class SnippetCompilerTests
{
    [Fact]
    public void Compile_FragmentUsingAmbientVariables_HasNoErrors()
    {
        var snippet = Fragment("""
            var result = await runner.RunBatchAsync(template, documents, d => d, r => r.Text);
            Console.WriteLine(result.SucceededCount);
            """);

        Assert.Empty(SnippetCompiler.Compile(snippet));
    }

    [Fact]
    public void Compile_LocalsHidingAmbientVariablesAndDeclaredTypes_HasNoErrors()
    {
        var snippet = Fragment("""
            IChatClient chatClient = new ChatClientBuilder(innerChatClient).Build();
            var template = new ChatAgent(chatClient);
            var answer = new Answer("42");
            record Answer(string Text);
            """);

        Assert.Empty(SnippetCompiler.Compile(snippet));
    }

    [Fact]
    public void Compile_FragmentWithOwnUsings_IsAWholeProgram()
    {
        var complete = Fragment("""
            using AgentBatch;
            using Microsoft.Extensions.AI;

            IChatClient client = null!;
            var result = await new BatchRunner().RunBatchAsync(new ChatAgent(client), new[] { "a" }.ToList(), d => d, r => r.Text);
            """);
        var incomplete = Fragment("""
            using AgentBatch;

            var runner = new BatchRunner();
            IChatClient client = null!;
            Console.WriteLine(documents.Length);
            """);

        Assert.Empty(SnippetCompiler.Compile(complete));
        Assert.Equal(
            ["CS0246", "CS0103"],   // IChatClient: Microsoft.Extensions.AI is not imported; documents: no ambient variables
            SnippetCompiler.Compile(incomplete).Select(error => error.Id));
    }

    [Fact]
    public void Compile_BrokenFragment_ReportsTheMarkdownFileAndLine()
    {
        var snippet = new MarkdownSnippet("docs/guide.md", 40, "var runner = new BatchRunner();\nrunner.NoSuchMethod();", SnippetMode.Fragment, null);

        var errors = SnippetCompiler.Compile(snippet);

        var error = Assert.Single(errors);
        var location = error.Location.GetMappedLineSpan();
        Assert.Equal(("docs/guide.md", 42), (location.Path, location.StartLinePosition.Line + 1));
        var message = SnippetCompiler.Describe(snippet, errors);
        Assert.StartsWith("docs/guide.md:40: the ```csharp block whose fence is on line 40 does not compile (1 error):", message, StringComparison.Ordinal);
        Assert.Contains("docs/guide.md(42,8): error CS1061", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_SyntaxError_IsAnError()
    {
        var snippet = Fragment("IChatClient chatClient = /* any IChatClient */;");

        Assert.Contains(SnippetCompiler.Compile(snippet), error => error.Id == "CS1525");
    }

    [Fact]
    public void Compile_FileSnippet_CompiledAsItIs()
    {
        var library = new MarkdownSnippet("doc.md", 1, "namespace Sample;\n\npublic sealed class Greeter { public string Greet() => \"hi\"; }", SnippetMode.File, null);
        var program = new MarkdownSnippet("doc.md", 1, "Console.WriteLine(\"hi\");", SnippetMode.File, null);
        var fragmentOnly = new MarkdownSnippet("doc.md", 1, "Console.WriteLine(documents.Length);", SnippetMode.File, null);

        Assert.Empty(SnippetCompiler.Compile(library));
        Assert.Empty(SnippetCompiler.Compile(program));
        Assert.Contains(SnippetCompiler.Compile(fragmentOnly), error => error.Id == "CS0103");   // no ambient variables in a file
    }

    [Fact]
    public void Compile_WarningsOnly_HasNoErrors()
    {
        var snippet = Fragment("string? text = null;\nConsole.WriteLine(text.Length);");   // CS8602, a warning

        Assert.Empty(SnippetCompiler.Compile(snippet));
    }

    private static MarkdownSnippet Fragment(string code) => new("test.md", 1, code.ReplaceLineEndings("\n"), SnippetMode.Fragment, null);
}
