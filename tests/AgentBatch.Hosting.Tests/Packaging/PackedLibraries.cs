using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// The repository's packages, packed once per test run into a temporary feed from a copy of their sources, under a
/// version of their own, so nothing an earlier run left in a package cache stands in for them.
/// </summary>
/// <remarks>
/// Packing a copy keeps the child builds out of the folders the test run itself builds and reads. The copy holds what a
/// pack reads: <c>src</c> (without build output), the files at the repository's root (the shared build files) and the
/// package READMEs.
/// </remarks>
public sealed class PackedLibraries : IAsyncLifetime
{
    public static readonly string[] PackageIds =
        ["AgentBatch", "AgentBatch.OpenAI", "AgentBatch.Anthropic", "AgentBatch.AgentFramework", "AgentBatch.SemanticKernel", "AgentBatch.Hosting", "AgentBatch.Hosting.OpenAI", "AgentBatch.Hosting.PostgreSql", "AgentBatch.Testing"];

    public string Root { get; } = Directory.CreateTempSubdirectory("agentbatch-packages-").FullName;

    public string Feed => Path.Combine(Root, "feed");

    /// <summary>Gets the version every package is packed under: 0.1.0 with a pre-release label no other run shares.</summary>
    public string Version { get; } = "0.1.0-ci." + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Gets the machine's own package cache, which the consuming app reads from and never writes to.</summary>
    public string MachinePackages { get; private set; } = "";

    /// <summary>Gets what packing printed and how long it took.</summary>
    public string PackLog { get; private set; } = "";

    public TimeSpan PackTime { get; private set; }

    /// <summary>Gets the environment every child <c>dotnet</c> of the consuming app runs with: its own package folder.</summary>
    public IReadOnlyDictionary<string, string> AppEnvironment => new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };

    public async Task InitializeAsync()
    {
        var repository = RepositoryRoot();
        var copy = Path.Combine(Root, "repo");
        CopyFolder(Path.Combine(repository, "src"), Path.Combine(copy, "src"));
        foreach (var file in Directory.EnumerateFiles(repository))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        CopyFolder(Path.Combine(repository, "docs", "packages"), Path.Combine(copy, "docs", "packages"));
        File.WriteAllText(
            Path.Combine(copy, "packages.slnx"),
            "<Solution>\n" + string.Concat(PackageIds.Select(id => $"  <Project Path=\"src/{id}/{id}.csproj\" />\n")) + "</Solution>\n");

        var (code, listing) = await DotNetCli.RunAsync(Root, new Dictionary<string, string>(), "nuget", "locals", "global-packages", "--list");
        MachinePackages = code == 0 && listing.Split(':', 2) is [_, var path] ? path.Trim() : throw new InvalidOperationException($"Cannot find the machine's package cache:\n{listing}");

        var stopwatch = Stopwatch.StartNew();
        (code, PackLog) = await DotNetCli.RunAsync(
            copy, new Dictionary<string, string>(), "pack", "packages.slnx", "-c", "Release", "-o", Feed, $"-p:Version={Version}", "--disable-build-servers");
        PackTime = stopwatch.Elapsed;
        if (code != 0)
        {
            throw new InvalidOperationException($"`dotnet pack` of the packages failed (exit code {code}):\n{PackLog}");
        }
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads the net10.0 dependencies from a package's nuspec: id to version range.</summary>
    public Dictionary<string, string> Dependencies(string id)
    {
        var package = Path.Combine(Feed, $"{id}.{Version}.nupkg");
        using var archive = ZipFile.OpenRead(package);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        using var stream = entry.Open();
        var nuspec = XDocument.Load(stream);
        return nuspec.Descendants().Where(e => e.Name.LocalName == "group" && (string?)e.Attribute("targetFramework") is "net10.0")
            .Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AgentBatch.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException($"No AgentBatch.sln above {AppContext.BaseDirectory}.");
    }

    private static void CopyFolder(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
