using System.Text.Json;
using AgentBatch.Samples.CodeAnalyzer;

namespace AgentBatch.Samples.Tests.CodeAnalyzer;

public sealed class CodeAnalyzerSampleTests : IDisposable
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("analyzer-test-");

    public void Dispose() => _output.Delete(recursive: true);

    [Fact]
    public async Task Run_BundledSnippets_ReportsEveryRealFlawAtItsLineAndNothingElse()
    {
        var run = await RunAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Endpoint: embedded mock at", run.Output);

        // The flaws really in the bundled files, at the lines the test finds them on itself.
        (string File, string Flaw, string Severity)[] expected =
        [
            ("login.c", "gets(name)", "critical"),
            ("login.c", "strcpy(last_user, name)", "high"),
            ("report.c", "sprintf(line,", "high"),
            ("report.c", "printf(line)", "medium"),
            ("backup.c", "system(command)", "critical"),
            ("UserRepository.cs", "\"SELECT COUNT(*) FROM users WHERE name = '\" + userName", "high"),
            ("UserRepository.cs", "$\"UPDATE users", "high"),
            ("PaymentGateway.cs", "ApiKey = \"", "high"),
            ("PasswordHasher.cs", "MD5.HashData", "high"),
        ];
        var report = await ReadJsonReportAsync();
        var reported = report.RootElement.GetProperty("files").EnumerateArray()
            .SelectMany(file => file.GetProperty("findings").EnumerateArray())
            .Select(finding => (finding.GetProperty("file").GetString()!, finding.GetProperty("line").GetInt32(), finding.GetProperty("severity").GetString()!))
            .Order()
            .ToArray();
        Assert.Equal(expected.Select(e => (e.File, LineOf(e.File, e.Flaw), e.Severity)).Order(), reported);

        Assert.Equal(9, report.RootElement.GetProperty("analyzedCount").GetInt32());
        Assert.Contains("No findings: checksum.c, CustomerLookup.cs, OrderTotals.cs", run.Output);
        Assert.Contains("9/9 files analysed · 9 findings (2 critical, 6 high, 1 medium)", run.Output);
        Assert.Contains($"│ login.c           │   {LineOf("login.c", "gets(name)")} │ critical │ gets()", run.Output);
        Assert.Contains("Analysing: 9/9 done, 0 failed", run.Output);
    }

    [Fact]
    public async Task Run_BundledSnippets_WritesCsvWithOneRowPerFinding()
    {
        var run = await RunAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = await File.ReadAllLinesAsync(Path.Combine(_output.FullName, ReportWriter.CsvFileName));
        Assert.Equal("file,line,severity,description", lines[0]);
        Assert.Equal(9, lines.Length - 1);
        Assert.Contains($"login.c,{LineOf("login.c", "gets(name)")},critical,gets() reads unbounded input", lines.Single(l => l.Contains("gets()", StringComparison.Ordinal)));
        Assert.Contains("Reports: ", run.Output);
    }

    [Fact]
    public async Task Run_FolderArgument_ReviewsOnlySourceFilesOutsideBuildFolders()
    {
        var folder = Directory.CreateTempSubdirectory("analyzer-input-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "copy.c"), "#include <string.h>\n\nvoid copy(char *s)\n{\n    char buf[8];\n    strcpy(buf, s);\n}\n");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "notes.txt"), "gets(x) strcpy(a, b)");
            Directory.CreateDirectory(Path.Combine(folder.FullName, "obj"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "obj", "generated.c"), "void f(char *s) { gets(s); }");

            var run = await RunAsync(folder.FullName);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("1/1 files analysed · 1 findings (1 high)", run.Output);
            Assert.Contains("│ copy.c │    6 │ high     │ strcpy()", run.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Run_MaxCostBelowOneFile_AnalysesNothingAndSaysWhy()
    {
        var run = await RunAsync("--max-cost", "0.0001");

        // Every file's call alone is estimated above the whole cap: each fails at once, nothing is sent or spent.
        Assert.Equal(SampleExitCodes.ItemsFailed, run.ExitCode);
        var error = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: 9 of 9 files not analysed: This call alone is estimated to cost", error);
        Assert.Contains("more than the batch's whole cost cap of 0.0001; it can never be made", error);
        Assert.Contains("0/9 files analysed", run.Output);
        var report = await ReadJsonReportAsync();
        Assert.All(report.RootElement.GetProperty("files").EnumerateArray(), file => Assert.Equal("failed", file.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Run_MaxCostAboveWhatTheFilesReallyCost_AnalysesEveryFile()
    {
        // The nine files really cost about $0.0011. Reserved at their worst case (a 2,000-token output limit each) four
        // in flight would not fit $0.0015, but waiting for room, in input order, and lowering the last calls' output
        // limits to what is left lets every one through without passing the cap.
        var run = await RunAsync("--max-cost", "0.0015");

        Assert.Equal(SampleExitCodes.Success, run.ExitCode);
        Assert.Contains("9/9 files analysed", run.Output);
        var report = await ReadJsonReportAsync();
        Assert.True(report.RootElement.GetProperty("cost").GetDecimal() <= 0.0015m);
    }

    [Theory]
    [InlineData("--max-cost", "-1")]
    [InlineData("--max-cost", "free")]
    [InlineData("--max-concurrency", "0")]
    [InlineData("--unknown")]
    [InlineData("/no/such/folder")]
    public async Task Run_BadCommandLine_ExitsWithUsageCodeAndOneLineReason(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Equal(SampleExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(run.ErrorLines));
        Assert.False(File.Exists(Path.Combine(_output.FullName, ReportWriter.JsonFileName)));
    }

    private static int LineOf(string file, string text) =>
        Array.FindIndex(File.ReadAllLines(Path.Combine(SourceFolder.Bundled, file)), line => line.Contains(text, StringComparison.Ordinal)) + 1;

    private Task<SampleOutput> RunAsync(params string[] args) =>
        InProcessSample.RunAsync(AnalyzerApp.RunAsync, [.. args, "--output", _output.FullName, "--mock-latency", "0"]);

    private async Task<JsonDocument> ReadJsonReportAsync() =>
        JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output.FullName, ReportWriter.JsonFileName)));
}
