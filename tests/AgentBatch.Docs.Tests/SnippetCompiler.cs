using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AgentBatch.Docs.Tests;

/// <summary>Compiles documentation snippets with Roslyn against the assemblies this test project compiles against.</summary>
/// <remarks>
/// <para>
/// A <see cref="SnippetMode.Fragment"/> is parsed as a top-level program and rebuilt as a class: its <c>using</c>
/// directives are hoisted to the top, its statements become the body of an <c>async Task RunAsync()</c>, and the types
/// it declares become nested types. A fragment without <c>using</c> directives is a piece of a reader's code: the class
/// derives from <see cref="SnippetContext"/>, so the ambient variables are in scope, and it imports
/// <see cref="CommonUsings"/>. A fragment that starts with its own <c>using</c> directives is a whole program, to paste
/// into a new project as it is: it gets only its own usings and the SDK's implicit ones (<see cref="ImplicitUsings"/>),
/// and no ambient variables.
/// </para>
/// <para>
/// Every piece of a snippet is preceded by a <c>#line</c> directive, so each diagnostic names the Markdown file and its
/// line. Warnings are allowed; errors fail the snippet. All snippets share one set of metadata references (one base
/// compilation), so each costs only its own binding.
/// </para>
/// </remarks>
public static class SnippetCompiler
{
    /// <summary>The usings the .NET SDK adds to a console project (<c>ImplicitUsings</c>).</summary>
    public static readonly ImmutableArray<string> ImplicitUsings =
    [
        "System",
        "System.Collections.Generic",
        "System.IO",
        "System.Linq",
        "System.Net.Http",
        "System.Threading",
        "System.Threading.Tasks",
    ];

    /// <summary>The namespaces a fragment without <c>using</c> directives of its own is assumed to import.</summary>
    public static readonly ImmutableArray<string> CommonUsings =
    [
        "AgentBatch",
        "AgentBatch.Hosting",
        "AgentBatch.Testing",
        "Anthropic",
        "Azure.AI.OpenAI",
        "Azure.Identity",
        "Microsoft.Extensions.AI",
        "Microsoft.Extensions.Caching.Distributed",
        "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging",
        "OpenAI",
        "OpenTelemetry",
        "OpenTelemetry.Metrics",
        "OpenTelemetry.Trace",
        "System.ClientModel",
        "System.ClientModel.Primitives",
        "System.ComponentModel.DataAnnotations",
        "Xunit",
    ];

    private const string WrapperClass = "__Snippet";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly SyntaxTree ImplicitUsingsTree = GlobalUsings("ImplicitUsings.g.cs", ImplicitUsings);

    private static readonly SyntaxTree FragmentUsingsTree = GlobalUsings("CommonUsings.g.cs", [.. ImplicitUsings, .. CommonUsings]);

    private static readonly Lazy<CSharpCompilation> BaseCompilation = new(CreateBaseCompilation);

    /// <summary>Gets how many metadata references every snippet compiles against.</summary>
    public static int ReferenceCount => BaseCompilation.Value.References.Count();

    /// <summary>Compiles one snippet.</summary>
    /// <param name="snippet">The snippet; <see cref="SnippetMode.Skip"/> is refused.</param>
    /// <returns>The errors, each located in the Markdown document; empty when the snippet compiles.</returns>
    public static IReadOnlyList<Diagnostic> Compile(MarkdownSnippet snippet)
    {
        ArgumentNullException.ThrowIfNull(snippet);
        if (snippet.Mode == SnippetMode.Skip)
        {
            throw new ArgumentException($"{snippet} is skipped: {snippet.Reason}", nameof(snippet));
        }

        return Build(snippet).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
    }

    /// <summary>Compiles a whole program (a fragment with its own <c>using</c> directives) and runs it in this process.</summary>
    /// <param name="snippet">The snippet: a <see cref="SnippetMode.Fragment"/> that starts with <c>using</c> directives.</param>
    /// <returns>What the program wrote to the console.</returns>
    /// <exception cref="ArgumentException">The snippet is not a whole program.</exception>
    /// <exception cref="InvalidOperationException">The snippet does not compile.</exception>
    /// <remarks>The console is redirected while the program runs, so no other test may write to it meanwhile.</remarks>
    public static async Task<string> RunProgramAsync(MarkdownSnippet snippet)
    {
        ArgumentNullException.ThrowIfNull(snippet);
        if (snippet.Mode != SnippetMode.Fragment || !IsProgram(snippet))
        {
            throw new ArgumentException($"{snippet} is not a whole program (a block that starts with its own using directives).", nameof(snippet));
        }

        using var image = new MemoryStream();
        var emitted = Build(snippet).Emit(image);
        if (!emitted.Success)
        {
            throw new InvalidOperationException(Describe(snippet, emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray()));
        }

        // The program's references (AgentBatch, the clients) are this test's own, already loaded: it binds to them.
        var assembly = System.Reflection.Assembly.Load(image.ToArray());
        var program = Activator.CreateInstance(assembly.GetType(WrapperClass, throwOnError: true)!)!;
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            await ((Task)program.GetType().GetMethod("RunAsync")!.Invoke(program, null)!).ConfigureAwait(false);
        }
        finally
        {
            Console.SetOut(console);
        }

        return output.ToString();
    }

    /// <summary>Gets whether a fragment is a whole program: it starts with its own <c>using</c> directives.</summary>
    /// <param name="snippet">The snippet.</param>
    /// <returns><see langword="true"/> for a whole program.</returns>
    public static bool IsProgram(MarkdownSnippet snippet) =>
        CSharpSyntaxTree.ParseText(snippet.Code, ParseOptions).GetCompilationUnitRoot().Usings.Count > 0;

    private static CSharpCompilation Build(MarkdownSnippet snippet)
    {
        var (tree, usings, outputKind) = snippet.Mode == SnippetMode.File ? AsFile(snippet) : AsFragment(snippet);
        return BaseCompilation.Value
            .WithOptions(BaseCompilation.Value.Options.WithOutputKind(outputKind))
            .AddSyntaxTrees(usings, tree);
    }

    /// <summary>Gets the source a snippet is compiled as, for reading when a failure is not clear.</summary>
    /// <param name="snippet">The snippet.</param>
    /// <returns>The generated source, <c>#line</c> directives included.</returns>
    public static string GeneratedSource(MarkdownSnippet snippet)
    {
        ArgumentNullException.ThrowIfNull(snippet);
        return (snippet.Mode == SnippetMode.File ? AsFile(snippet) : AsFragment(snippet)).Tree.ToString();
    }

    /// <summary>Formats a failure: the file, the fence's line and the compiler's messages.</summary>
    /// <param name="snippet">The snippet that failed.</param>
    /// <param name="errors">Its errors, from <see cref="Compile"/>.</param>
    /// <returns>A message for the test's failure.</returns>
    public static string Describe(MarkdownSnippet snippet, IReadOnlyList<Diagnostic> errors)
    {
        ArgumentNullException.ThrowIfNull(snippet);
        ArgumentNullException.ThrowIfNull(errors);
        var message = new StringBuilder()
            .Append(snippet.File).Append(':').Append(snippet.FenceLine)
            .Append(": the ```csharp block whose fence is on line ").Append(snippet.FenceLine)
            .Append(" does not compile (").Append(errors.Count).AppendLine(errors.Count == 1 ? " error):" : " errors):");
        foreach (var error in errors)
        {
            message.Append("  ").AppendLine(error.ToString());
        }

        return message.ToString();
    }

    private static (SyntaxTree Tree, SyntaxTree Usings, OutputKind Kind) AsFile(MarkdownSnippet snippet)
    {
        var source = $"#line {snippet.FirstCodeLine} \"{snippet.File}\"\n{snippet.Code}\n";
        var tree = CSharpSyntaxTree.ParseText(source, ParseOptions, path: snippet.File + ".g.cs");
        var hasTopLevelStatements = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
        return (tree, ImplicitUsingsTree, hasTopLevelStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary);
    }

    private static (SyntaxTree Tree, SyntaxTree Usings, OutputKind Kind) AsFragment(MarkdownSnippet snippet)
    {
        var parsed = CSharpSyntaxTree.ParseText(snippet.Code, ParseOptions);
        var root = parsed.GetCompilationUnitRoot();
        var source = new StringBuilder();

        var isProgram = root.Usings.Count > 0;
        var pieces = 0;
        foreach (var node in root.Externs.Cast<SyntaxNode>().Concat(root.Usings).Concat(root.AttributeLists))
        {
            pieces += AppendMapped(source, snippet, parsed, node);
        }

        source.AppendLine("#line hidden")
            .Append("internal sealed class ").Append(WrapperClass).AppendLine(isProgram ? string.Empty : " : global::AgentBatch.Docs.Tests.SnippetContext")
            .AppendLine("{")
            .AppendLine("public async global::System.Threading.Tasks.Task RunAsync()")
            .AppendLine("{");
        foreach (var statement in root.Members.OfType<GlobalStatementSyntax>())
        {
            pieces += AppendMapped(source, snippet, parsed, statement);
        }

        // Trailing comments, and any text the parser could not place, stay in the body.
        pieces += AppendMapped(source, snippet, parsed, root.EndOfFileToken);
        source.AppendLine("#line hidden").AppendLine("}");
        foreach (var member in root.Members.Where(member => member is not GlobalStatementSyntax))
        {
            pieces += AppendMapped(source, snippet, parsed, member);
        }

        source.AppendLine("#line hidden").AppendLine("}");

        // Every character of the snippet lands in exactly one piece: nothing is dropped unchecked.
        if (pieces != root.FullSpan.Length)
        {
            throw new InvalidOperationException($"{snippet}: {pieces} of the snippet's {root.FullSpan.Length} characters were placed.");
        }

        var tree = CSharpSyntaxTree.ParseText(source.ToString(), ParseOptions, path: snippet.File + ".g.cs");
        return (tree, isProgram ? ImplicitUsingsTree : FragmentUsingsTree, OutputKind.DynamicallyLinkedLibrary);
    }

    private static int AppendMapped(StringBuilder source, MarkdownSnippet snippet, SyntaxTree parsed, SyntaxNodeOrToken node)
    {
        var text = node.ToFullString();
        if (text.Length == 0)
        {
            return 0;
        }

        // Map the piece to where it starts in the document, keeping its column.
        var start = parsed.GetLineSpan(node.FullSpan).StartLinePosition;
        source.Append("#line ").Append(snippet.FirstCodeLine + start.Line).Append(" \"").Append(snippet.File).AppendLine("\"")
            .Append(' ', start.Character)
            .Append(text);
        if (!text.EndsWith('\n'))
        {
            source.Append('\n');
        }

        return text.Length;
    }

    private static SyntaxTree GlobalUsings(string path, IEnumerable<string> namespaces) =>
        CSharpSyntaxTree.ParseText(string.Concat(namespaces.Select(ns => $"global using {ns};\n")), ParseOptions, path: path);

    private static CSharpCompilation CreateBaseCompilation()
    {
        var listPath = Path.Combine(AppContext.BaseDirectory, "snippet-references.txt");
        if (!File.Exists(listPath))
        {
            throw new InvalidOperationException($"{listPath} is missing: the test project's build writes it (target WriteSnippetReferences).");
        }

        var paths = File.ReadAllLines(listPath)
            .Where(line => line.Length > 0)
            .Append(typeof(SnippetContext).Assembly.Location)
            .Distinct(StringComparer.Ordinal);
        var references = paths.Select(path => MetadataReference.CreateFromFile(path)).ToArray();
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            concurrentBuild: false);
        return CSharpCompilation.Create("DocSnippet", syntaxTrees: null, references, options);
    }
}
