using AgentBatch.Hosting;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

// A document worker: watches an inbox folder and runs an agent over every document of every set dropped into it.
// With no endpoint configured it starts an in-process mock endpoint; set AgentBatch__ApiKey (or OPENAI_API_KEY),
// and optionally AgentBatch__Endpoint, to use a real one. `--seed` copies the example set into the inbox;
// `--seed-batch` copies it as a set that runs through the provider's Batch API ("execution": "batch" in its set.json).
var seed = args.Contains("--seed");
var seedBatch = args.Contains("--seed-batch");
var builder = Host.CreateApplicationBuilder(args.Where(a => a is not "--seed" and not "--seed-batch").ToArray());

// The sample's settings ship beside the program; a file in the current folder, the environment and the command line override them.
builder.Configuration.Sources.Insert(0, new JsonConfigurationSource { Path = "appsettings.json", FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory) });
if (Environment.GetEnvironmentVariable("OPENAI_API_KEY") is { Length: > 0 } openAiKey && string.IsNullOrEmpty(builder.Configuration["AgentBatch:ApiKey"]))
{
    builder.Configuration["AgentBatch:ApiKey"] = openAiKey;
}

builder.Services.AddAgentBatchWorker();

// With a PostgreSQL database configured, any number of these workers (on one machine or many) share the inbox, the
// rate budget and the sets' caps; without one, the worker keeps its progress in SQLite and holds the inbox alone.
var shared = !string.IsNullOrEmpty(builder.Configuration[$"{AgentBatchPostgreSqlOptions.SectionName}:ConnectionString"])
    || !string.IsNullOrEmpty(builder.Configuration.GetConnectionString(AgentBatchPostgreSqlOptions.ConnectionStringName));
if (shared)
{
    builder.Services.AddAgentBatchPostgreSql();
}

MockChatServer? mock = null;
var model = builder.Configuration["AgentBatch:Model"] ?? AgentBatchOpenAIOptions.DefaultModel;
if (string.IsNullOrEmpty(builder.Configuration["AgentBatch:ApiKey"]) && string.IsNullOrEmpty(builder.Configuration["AgentBatch:Endpoint"]))
{
    // The default batch's chat client is whatever the app registers: here the mock's.
    mock = MockChatServer.Start(MockReplies.Reply);

    // The mock's Batch API moves each batch on by itself every second, and the worker polls it as often: a batch set
    // ends in seconds here, where a real provider takes minutes to hours.
    mock.Batches.AutoAdvanceInterval = TimeSpan.FromSeconds(1);
    builder.Configuration["AgentBatch:ProviderBatch:PollInterval"] ??= "00:00:01";
    builder.Configuration["AgentBatch:ProviderBatch:MaxPollInterval"] ??= "00:00:02";
    builder.Services.AddChatClient(mock.CreateChatClient(model));
    Console.WriteLine($"Endpoint: embedded mock at {mock.Endpoint} (set AgentBatch__ApiKey or OPENAI_API_KEY to use a real one)");
}
else
{
    // The OpenAI client for AgentBatch:Endpoint (or OpenAI itself), AgentBatch:Model and AgentBatch:ApiKey.
    builder.Services.AddAgentBatch().AddOpenAIChatClient();
    Console.WriteLine($"Endpoint: {builder.Configuration["AgentBatch:Endpoint"] ?? "OpenAI"}, model {model}");
}

var inbox = Path.GetFullPath(builder.Configuration["AgentBatch:Worker:InboxPath"] ?? "inbox", builder.Environment.ContentRootPath);
if (seed)
{
    Seed(Path.Combine(AppContext.BaseDirectory, "example-set"), Path.Combine(inbox, "example"), manifest: null);
}

if (seedBatch)
{
    Seed(Path.Combine(AppContext.BaseDirectory, "example-set"), Path.Combine(inbox, "example-batch"), """{ "execution": "batch", "csv": true }""");
}

Console.WriteLine($"Inbox: {inbox} (drop a folder of text files or a .jsonl file of {{\"name\",\"text\"}} records into it; Ctrl+C to stop)");
Console.WriteLine(shared ? "Store: PostgreSQL, shared with every worker on the same database" : "Store: SQLite, this worker alone");
try
{
    using var host = builder.Build();
    await host.RunAsync();
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    Console.Error.WriteLine($"Configuration error: {string.Join(" ", ex.Failures)}");
    return 2;
}
finally
{
    mock?.Dispose();
}

return Environment.ExitCode;

static void Seed(string source, string destination, string? manifest)
{
    // Copied under a '_' name and renamed, so the worker never sees a half-copied set.
    var staging = Path.Combine(Path.GetDirectoryName(destination)!, "_" + Path.GetFileName(destination));
    foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
    {
        var target = Path.Combine(staging, Path.GetRelativePath(source, file));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target, overwrite: true);
    }

    if (manifest is not null)
    {
        File.WriteAllText(Path.Combine(staging, "set.json"), manifest);
    }

    if (Directory.Exists(destination))
    {
        Directory.Delete(staging, recursive: true);
        return;
    }

    Directory.Move(staging, destination);
}
