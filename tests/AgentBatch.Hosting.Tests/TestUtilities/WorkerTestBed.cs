using System.Text.Json;
using System.Text.Json.Serialization;
using AgentBatch.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.Tests;

/// <summary>A real host running the document worker over a temporary inbox, against a mock OpenAI-compatible endpoint.</summary>
internal sealed class WorkerTestBed : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly TempFolder _folder = new();

    public WorkerTestBed(Func<MockChatRequest, MockChatReply>? responder = null)
    {
        Server = MockChatServer.Start(responder);
        Directory.CreateDirectory(Inbox);
        Settings = new Dictionary<string, string?>
        {
            ["AgentBatch:MaxConcurrency"] = "4",
            ["AgentBatch:RetryBaseDelay"] = "00:00:00.010",
            ["AgentBatch:Worker:InboxPath"] = "inbox",
            ["AgentBatch:Worker:OutputPath"] = "output",
            ["AgentBatch:Worker:ExitWhenIdle"] = "true",
            ["AgentBatch:Worker:PollInterval"] = "00:00:00.200",
        };
    }

    public MockChatServer Server { get; }

    public string Root => _folder.Path;

    public string Inbox => Path.Combine(Root, "inbox");

    public string Output => Path.Combine(Root, "output");

    public string Processed => Path.Combine(Inbox, ".processed");

    public Dictionary<string, string?> Settings { get; }

    public LogSink Logs { get; } = new();

    /// <summary>Gets or sets the chat client the host registers for the default batch.</summary>
    public BedChatClient ChatClient { get; set; } = BedChatClient.Mock;

    public IHost BuildHost(Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Root });
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddAgentBatchWorker();
        switch (ChatClient)
        {
            case BedChatClient.Mock:
                builder.Services.AddChatClient(Server.CreateChatClient());
                break;
            case BedChatClient.OpenAI:
                builder.Services.AddAgentBatch().AddOpenAIChatClient();
                break;
        }

        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Runs a host until the worker finds the inbox done and stops it.</summary>
    public async Task RunUntilIdleAsync(Action<IServiceCollection>? configure = null)
    {
        using var host = BuildHost(configure);
        using var guard = new CancellationTokenSource(Eventually.Guard);
        await host.StartAsync(guard.Token);
        await host.WaitForShutdownAsync(guard.Token);
        Assert.False(guard.IsCancellationRequested, "The worker did not finish the inbox.");
    }

    /// <summary>Drops a folder set into the inbox the way a careful producer does: written under a '_' name, then renamed.</summary>
    public string AddFolderSet(string name, IReadOnlyDictionary<string, string> documents, string? manifest = null)
    {
        var staging = Path.Combine(Inbox, "_" + name);
        foreach (var (relative, text) in documents)
        {
            var path = Path.Combine(staging, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Directory.CreateDirectory(staging);
        if (manifest is not null)
        {
            File.WriteAllText(Path.Combine(staging, "set.json"), manifest);
        }

        var target = Path.Combine(Inbox, name);
        Directory.Move(staging, target);
        return target;
    }

    public string AddJsonlSet(string name, IEnumerable<string> lines, string? manifest = null)
    {
        if (manifest is not null)
        {
            File.WriteAllText(Path.Combine(Inbox, name + ".set.json"), manifest);
        }

        var staging = Path.Combine(Inbox, "_" + name + ".jsonl");
        File.WriteAllLines(staging, lines);
        var target = Path.Combine(Inbox, name + ".jsonl");
        File.Move(staging, target);
        return target;
    }

    public static string Record(string name, string text) => JsonSerializer.Serialize(new { name, text });

    public string[] ResultLines(string set) => File.ReadAllLines(Path.Combine(Output, set, "results.jsonl"));

    public List<DocumentResult> Results(string set) =>
        ResultLines(set).Select(line => JsonSerializer.Deserialize<DocumentResult>(line, Json)!).ToList();

    public DocumentSetSummary Summary(string set) =>
        JsonSerializer.Deserialize<DocumentSetSummary>(File.ReadAllText(Path.Combine(Output, set, "summary.json")), Json)!;

    /// <summary>The document names the server was asked about, in order, read back from the default prompt ("Document: NAME").</summary>
    public List<string> RequestedDocuments() =>
        Server.Requests.Select(r => DocumentName(r.LastUserText)).ToList();

    public static string DocumentName(string prompt)
    {
        const string prefix = "Document: ";
        var end = prompt.IndexOf('\n', StringComparison.Ordinal);
        return prompt.StartsWith(prefix, StringComparison.Ordinal) && end > 0 ? prompt[prefix.Length..end] : prompt;
    }

    /// <summary>The inbox's entries other than the worker's own lock files.</summary>
    public IEnumerable<string> InboxEntries() =>
        Directory.EnumerateFileSystemEntries(Inbox).Where(e => !Path.GetFileName(e).StartsWith(".agentbatch.lock", StringComparison.Ordinal));

    public void Dispose()
    {
        Server.Dispose();
        _folder.Dispose();

        // A worker that stops with a set unfinished sets the process exit code, as it must for a scheduler; not for the test host.
        Environment.ExitCode = 0;
    }
}
