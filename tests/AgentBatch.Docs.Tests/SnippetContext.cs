using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Batch;

namespace AgentBatch.Docs.Tests;

#pragma warning disable CA1051 // Visible fields: they are the names the snippets use.
#pragma warning disable IDE1006 // Naming: as the snippets spell them.
#pragma warning disable CA1034 // Nested types: a snippet names them unqualified.
#pragma warning disable IDE0060 // Unused parameters: only the signatures matter.

/// <summary>
/// The ambient variables and types the documentation's snippets assume: what a reader's own code around a snippet
/// would have. Every <see cref="SnippetMode.Fragment"/> snippet runs in a method of a class deriving from this one, so
/// these names are in scope, and a snippet may declare a local of the same name (a local hides a field).
/// </summary>
/// <remarks>
/// This is the one list to extend when a new snippet assumes something new. Nothing here is ever run: the snippets are
/// compiled only.
/// </remarks>
public abstract class SnippetContext
{
    // Model clients.
    protected IChatClient chatClient = null!;
    protected IChatClient innerChatClient = null!;
    protected IChatClient innerClient = null!;
    protected IChatClient triageClient = null!;
    protected string key = "";

    // What an application has around a batch.
    protected ILoggerFactory loggerFactory = null!;
    protected IDistributedCache cache = null!;
    protected BatchRunner runner = null!;
    protected ChatAgent template = null!;
    protected string[] args = [];
    protected IHost host = null!;
    protected HostApplicationBuilder builder = null!;

    // Items.
    protected string[] documents = [];
    protected IEnumerable<string> questions = [];
    protected IReadOnlyList<string> files = [];
    protected IReadOnlyList<Candidate> candidates = [];
    protected string path = "";
    protected TextWriter output = TextWriter.Null;

    // Testing against the mock server's batch endpoints.
    protected FakeTimeProvider fakeTime = new();
#pragma warning disable OPENAI001 // The OpenAI batch client is experimental; the snippet shows the mock, not the client.
    protected BatchClient batchClient = null!;
#pragma warning restore OPENAI001
    protected System.ClientModel.BinaryContent createBody = null!;

    /// <summary>Reads the records of a file lazily, as the streaming snippet's item source.</summary>
    protected static IAsyncEnumerable<TextRecord> ReadRecordsAsync(string path) => AsyncEnumerable.Empty<TextRecord>();

    /// <summary>A record of a file read by <see cref="ReadRecordsAsync"/>.</summary>
    protected sealed record TextRecord(string Text);

    /// <summary>An item of the stopping-early snippet.</summary>
    protected sealed record Candidate(string Prompt);

    /// <summary>The CodeAnalyzer sample's per-file finding list, as its snippet calls it.</summary>
    protected sealed class FindingCollector
    {
        public FindingCollector(string file) => File = file;

        public string File { get; }

        public string Report(string file, int line, string severity, string description) => "Recorded.";
    }
}
