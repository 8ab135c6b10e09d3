using System.Text.Json;

namespace AgentBatch.Hosting.Tests;

/// <summary>The DocumentWorker sample as an operator runs it: on the embedded mock with no key, on an endpoint with one.</summary>
public sealed class DocumentWorkerSampleTests
{
    [Fact]
    public async Task Sample_NoKeyNoEndpoint_RunsTheInboxOnTheEmbeddedMock()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("notes", new Dictionary<string, string> { ["a.txt"] = "Alpha is first. More.", ["b.txt"] = "Beta is second." });

        using var worker = WorkerProcess.Start(bed.Root, Environment(bed));
        await worker.WaitForExitAsync();

        Assert.True(worker.ExitCode == 0, worker.Output);
        Assert.Contains("Endpoint: embedded mock at http://127.0.0.1:", worker.Output, StringComparison.Ordinal);
        Assert.Equal(["a.txt: Alpha is first.", "b.txt: Beta is second."], Outputs(bed, "notes"));
        Assert.Equal(0, bed.Server.RequestCount);
    }

    [Fact]
    public async Task Sample_WithEndpointAndKey_CallsThatEndpointWithTheKey()
    {
        using var bed = new WorkerTestBed();
        bed.AddFolderSet("notes", new Dictionary<string, string> { ["a.txt"] = "Alpha." });
        var environment = Environment(bed);
        environment["AgentBatch__Endpoint"] = bed.Server.Endpoint.ToString();
        environment["AgentBatch__ApiKey"] = "test-key-zz";

        using var worker = WorkerProcess.Start(bed.Root, environment);
        await worker.WaitForExitAsync();

        Assert.True(worker.ExitCode == 0, worker.Output);
        Assert.Contains($"Endpoint: {bed.Server.Endpoint}, model gpt-4o-mini", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("test-key-zz", worker.Output, StringComparison.Ordinal);
        Assert.Equal("Bearer test-key-zz", Assert.Single(bed.Server.Requests).Headers["Authorization"]);
        Assert.Equal(["Echo: Document: a.txt\n\nAlpha."], Outputs(bed, "notes"));
    }

    [Fact]
    public async Task Sample_MisspeltSetting_ExitsWithTwoNamingIt()
    {
        using var bed = new WorkerTestBed();
        var environment = Environment(bed);
        environment["AgentBatch__MaxConcurency"] = "4";

        using var worker = WorkerProcess.Start(bed.Root, environment);
        await worker.WaitForExitAsync();

        Assert.Equal(2, worker.ExitCode);
        Assert.Contains("Configuration error: AgentBatch:MaxConcurency is not a setting (did you mean MaxConcurrency?)", worker.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Environment(WorkerTestBed bed) => new()
    {
        ["AgentBatch__Worker__InboxPath"] = bed.Inbox,
        ["AgentBatch__Worker__OutputPath"] = bed.Output,
        ["AgentBatch__Worker__ExitWhenIdle"] = "true",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static List<string?> Outputs(WorkerTestBed bed, string set) =>
        bed.Results(set).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => r.Output?.ValueKind == JsonValueKind.String ? r.Output.Value.GetString() : r.Output?.ToString()).ToList();
}
