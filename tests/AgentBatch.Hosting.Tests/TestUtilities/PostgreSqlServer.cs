using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentBatch.Hosting.Tests;

/// <summary>
/// The PostgreSQL server the tests that need one share: the one <c>AGENTBATCH_TEST_POSTGRES</c> names (a connection
/// string; <c>.ci/run</c> starts a private server and sets it), or else a private server this test process starts
/// itself from the machine's PostgreSQL binaries and stops when it exits.
/// </summary>
/// <remarks>
/// A test that needs PostgreSQL and cannot have it fails, saying why: it never passes or skips without a database.
/// Each test works in a schema of its own (<see cref="NewSchema"/>), so tests run in parallel against one server.
/// </remarks>
internal static class PostgreSqlServer
{
    public const string EnvironmentVariable = "AGENTBATCH_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets the server's connection string, starting a private server first if none is configured.</summary>
    public static Task<string> ConnectionStringAsync() => Server.Value;

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public static async Task<NpgsqlDataSource> DataSourceAsync() => NpgsqlDataSource.Create(await ConnectionStringAsync());

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            await ProbeAsync(configured, $"the server {EnvironmentVariable} names");
            return configured;
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"These tests need PostgreSQL: set {EnvironmentVariable} to a connection string, or install PostgreSQL (initdb and pg_ctl, for example `apt-get install postgresql`) so the tests can start a private server.");
        RemoveStoppedServers();
        var folder = Directory.CreateTempSubdirectory("agentbatch-pg-").FullName;
        var port = FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // PostgreSQL refuses to run as root: the server runs as the postgres user, in a folder it owns.
            await RunAsync("chown", ["postgres", folder]);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(folder, "data"), "--auth=trust", "-U", "postgres", "--no-sync"], asRoot);
        await RunAsync(
            Path.Combine(bin, "pg_ctl"),
            ["-D", Path.Combine(folder, "data"), "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200", "-l", Path.Combine(folder, "log"), "-w", "start"],
            asRoot);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(bin, folder, asRoot);

        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50";
        await ProbeAsync(connectionString, $"the private server started in {folder}");
        return connectionString;
    }

    private static async Task ProbeAsync(string connectionString, string which)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or SocketException)
        {
            throw new InvalidOperationException($"These tests need PostgreSQL, and {which} cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>Deletes the folders of private servers earlier test runs started and stopped (the test host may end before it can).</summary>
    private static void RemoveStoppedServers()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "agentbatch-pg-*"))
        {
            // An hour old and not running: not a server another run is starting now.
            if (!File.Exists(Path.Combine(folder, "data", "postmaster.pid")) && Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another run's, still in use.
                }
            }
        }
    }

    private static string? FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static void Stop(string bin, string folder, bool asRoot)
    {
        try
        {
            RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop"], asRoot).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Exiting anyway.
        }

        // The server's last processes may still be closing files for a moment after pg_ctl returns.
        for (var attempt = 0; attempt < 10 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static async Task RunAsync(string program, string[] arguments, bool asPostgres = false)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres)
        {
            foreach (var part in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(part);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{program} {string.Join(' ', arguments)}` failed with exit code {process.ExitCode}: {await output} {await error}");
        }
    }
}
