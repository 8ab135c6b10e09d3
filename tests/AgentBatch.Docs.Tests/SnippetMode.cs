namespace AgentBatch.Docs.Tests;

/// <summary>How a documentation snippet is compiled, as the <c>&lt;!-- snippet: ... --&gt;</c> comment before its fence says.</summary>
public enum SnippetMode
{
    /// <summary>
    /// No comment: statements (and any types they declare) compiled in a method. Without <c>using</c> directives of
    /// its own, the method's class derives from <see cref="SnippetContext"/>, so the ambient variables are in scope,
    /// and common namespaces are imported; with them, the snippet is a whole program: its usings are hoisted and it gets
    /// only those, the SDK's implicit ones and no ambient variables.
    /// </summary>
    Fragment,

    /// <summary><c>&lt;!-- snippet: file --&gt;</c>: a whole source file, compiled as it is, with no ambient variables.</summary>
    File,

    /// <summary><c>&lt;!-- snippet: skip (reason) --&gt;</c>: not compiled; only for a block that is not C# code.</summary>
    Skip,
}
