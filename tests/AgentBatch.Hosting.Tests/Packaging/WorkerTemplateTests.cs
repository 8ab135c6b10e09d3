using System.Diagnostics;
using Xunit.Abstractions;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// The packages as a .NET developer meets them: packed, checked for what they depend on, and added to a fresh
/// <c>dotnet new worker</c> app (net10.0, Microsoft.Extensions.Hosting 10.0.x) that restores, builds and runs a batch.
/// </summary>
/// <remarks>
/// The app's private NuGet configuration keeps the machine's feed and adds the temporary feed; its packages go to a
/// folder of its own, read through from the machine's cache, so nothing is left behind. Takes a minute or two.
/// </remarks>
public sealed class WorkerTemplateTests(PackedLibraries packages, ITestOutputHelper output) : IClassFixture<PackedLibraries>
{
    [Fact]
    public void Packages_DependOnAbstractions_AtTheLowest10_0Versions_AndHostingOnNoOpenAI()
    {
        output.WriteLine($"pack: {packages.PackTime.TotalSeconds:F0} s");
        foreach (var id in PackedLibraries.PackageIds)
        {
            output.WriteLine($"{id}: {string.Join(", ", packages.Dependencies(id).Select(d => $"{d.Key} {d.Value}"))}");
        }

        var core = packages.Dependencies("AgentBatch");
        var hosting = packages.Dependencies("AgentBatch.Hosting");
        var openAI = packages.Dependencies("AgentBatch.OpenAI");
        var anthropic = packages.Dependencies("AgentBatch.Anthropic");
        var hostingOpenAI = packages.Dependencies("AgentBatch.Hosting.OpenAI");
        var hostingPostgreSql = packages.Dependencies("AgentBatch.Hosting.PostgreSql");

        // The core is provider-neutral: Microsoft.Extensions.AI, Polly and SharpToken; no provider, no Semantic Kernel.
        Assert.Equal(
            ["Microsoft.Extensions.AI", "Microsoft.Extensions.Logging.Abstractions", "Polly.Core", "Polly.RateLimiting", "SharpToken"],
            core.Keys.Order(StringComparer.Ordinal));

        Assert.Equal(
            ["AgentBatch", "Microsoft.Data.Sqlite", "Microsoft.Extensions.AI.Abstractions", "Microsoft.Extensions.DependencyInjection.Abstractions",
             "Microsoft.Extensions.Hosting.Abstractions", "Microsoft.Extensions.Logging.Abstractions", "Microsoft.Extensions.Options.ConfigurationExtensions"],
            hosting.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(packages.Version, hosting["AgentBatch"]);
        foreach (var (id, dependencies) in new[] { ("AgentBatch", core), ("AgentBatch.Hosting", hosting), ("AgentBatch.OpenAI", openAI), ("AgentBatch.Anthropic", anthropic), ("AgentBatch.Hosting.OpenAI", hostingOpenAI), ("AgentBatch.Hosting.PostgreSql", hostingPostgreSql) })
        {
            foreach (var (dependency, version) in dependencies.Where(d => d.Key.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && !d.Key.StartsWith("Microsoft.Extensions.AI", StringComparison.Ordinal)))
            {
                Assert.True(version == "10.0.13", $"{id} asks for {dependency} {version}; a net10.0 worker app on Microsoft.Extensions.Hosting 10.0.x needs 10.0.13 at most.");
            }

            Assert.DoesNotContain("Microsoft.Extensions.Hosting", dependencies.Keys);
        }

        foreach (var (id, dependencies) in new[] { ("AgentBatch", core), ("AgentBatch.Hosting", hosting) })
        {
            Assert.DoesNotContain(dependencies.Keys, d => d.Contains("OpenAI", StringComparison.Ordinal) || d.Contains("Anthropic", StringComparison.Ordinal));
        }

        Assert.Equal(packages.Version, openAI["AgentBatch"]);
        Assert.Contains("Microsoft.Extensions.AI.OpenAI", openAI.Keys);
        Assert.DoesNotContain("AgentBatch.Hosting", openAI.Keys);
        Assert.Equal(["AgentBatch", "Anthropic"], anthropic.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(packages.Version, anthropic["AgentBatch"]);
        Assert.Equal("13.14.0", anthropic["Anthropic"]);
        Assert.Equal(packages.Version, hostingOpenAI["AgentBatch.Hosting"]);
        Assert.Equal(packages.Version, hostingOpenAI["AgentBatch.OpenAI"]);

        // The database lives in its own package: the hosting package has no PostgreSQL, this one no provider.
        Assert.Equal(packages.Version, hostingPostgreSql["AgentBatch.Hosting"]);
        Assert.Contains("Npgsql", hostingPostgreSql.Keys);
        Assert.DoesNotContain("Npgsql", hosting.Keys);
        Assert.DoesNotContain(hostingPostgreSql.Keys, d => d.Contains("OpenAI", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WorkerTemplate_WithThePackages_RestoresBuildsAndRunsNamedBatchesOnTheMock()
    {
        var app = Path.Combine(packages.Root, "app");
        var environment = packages.AppEnvironment;

        // The app's folder is shielded from build files above it; the SDK's own template, no network needed.
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets" })
        {
            File.WriteAllText(Path.Combine(packages.Root, file), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(packages.Root, "Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        await StepAsync(packages.Root, environment, "new", "worker", "--name", "WorkerApp", "--output", app, "--framework", "net10.0", "--no-restore");
        var project = Path.Combine(app, "WorkerApp.csproj");
        Assert.Matches("""<PackageReference Include="Microsoft.Extensions.Hosting" Version="10\.0\.\d+" />""", File.ReadAllText(project));

        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="agentbatch-under-test" value="{packages.Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{packages.MachinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        foreach (var id in new[] { "AgentBatch", "AgentBatch.Hosting", "AgentBatch.Hosting.OpenAI", "AgentBatch.Testing" })
        {
            await StepAsync(app, environment, "add", "package", id, "--version", packages.Version, "--no-restore");
        }

        File.Delete(Path.Combine(app, "Worker.cs"));
        File.WriteAllText(Path.Combine(app, "Program.cs"), ProgramText);

        var build = await StepAsync(app, environment, "build", "--disable-build-servers");
        Assert.DoesNotContain("NU1605", build, StringComparison.Ordinal);
        var assets = File.ReadAllText(Path.Combine(app, "obj", "project.assets.json"));
        Assert.Matches(@"""Microsoft\.Extensions\.Hosting/10\.0\.\d+""", assets);
        Assert.Contains($"\"AgentBatch.Hosting/{packages.Version}\"", assets, StringComparison.Ordinal);

        var run = await StepAsync(app, environment, Path.Combine(app, "bin", "Debug", "net10.0", "WorkerApp.dll"));
        Assert.Contains("batch '': 3/3 succeeded: summary of alpha | summary of beta | summary of gamma", run, StringComparison.Ordinal);
        Assert.Contains("batch 'Reports': 3/3 succeeded: summary of alpha | summary of beta | summary of gamma", run, StringComparison.Ordinal);
        Assert.Contains("requests: 6; models: default-model, reports-model", run, StringComparison.Ordinal);
    }

    /// <summary>The app's whole program: the default batch on AgentBatch.OpenAI's client, a named one on a keyed client, both on the mock.</summary>
    private const string ProgramText = """
        using AgentBatch;
        using AgentBatch.Hosting;
        using AgentBatch.Testing;
        using Microsoft.Extensions.Options;

        using var mock = MockChatServer.Start(request => MockChatReply.Answer("summary of " + request.LastUserText));

        var builder = Host.CreateApplicationBuilder(args);
        builder.Configuration["AgentBatch:Endpoint"] = mock.Endpoint.ToString();
        builder.Configuration["AgentBatch:Model"] = "default-model";
        builder.Configuration["Batches:Reports:MaxConcurrency"] = "2";

        builder.Services.AddAgentBatch().AddOpenAIChatClient();
        builder.Services.AddAgentBatch("Reports", builder.Configuration.GetSection("Batches:Reports"));
        builder.Services.AddKeyedChatClient("Reports", mock.CreateChatClient("reports-model"));

        using var host = builder.Build();
        await host.StartAsync();
        var batches = host.Services.GetRequiredService<IAgentBatchFactory>();
        foreach (var name in new[] { Options.DefaultName, "Reports" })
        {
            var batch = batches.Create(name);
            var result = await batch.Runner.RunBatchAsync(new ChatAgent(batch.ChatClient), ["alpha", "beta", "gamma"], x => x, r => r.Text, batch.Options);
            Console.WriteLine($"batch '{name}': {result.SucceededCount}/{result.Items.Count} succeeded: {string.Join(" | ", result.Items.Select(i => i.Output))}");
        }

        Console.WriteLine($"requests: {mock.RequestCount}; models: {string.Join(", ", mock.Requests.Select(r => r.Model).Distinct())}");
        await host.StopAsync();
        """;

    private async Task<string> StepAsync(string folder, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var stopwatch = Stopwatch.StartNew();
        var (code, text) = await DotNetCli.RunAsync(folder, environment, arguments);
        output.WriteLine($"dotnet {string.Join(' ', arguments)}: exit code {code}, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(code == 0, $"`dotnet {string.Join(' ', arguments)}` failed with exit code {code}:\n{text}");
        return text;
    }
}
