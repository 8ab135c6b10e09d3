using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>Writes the JSON report (everything) and the CSV report (one row per finding).</summary>
internal static class ReportWriter
{
    public const string JsonFileName = "findings.json";
    public const string CsvFileName = "findings.csv";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes both reports into <paramref name="folder"/>, creating it, and returns their paths.</summary>
    public static async Task<string[]> WriteAsync(AnalysisReport report, DirectoryInfo folder, CancellationToken cancellationToken)
    {
        folder.Create();
        var json = Path.Combine(folder.FullName, JsonFileName);
        var csv = Path.Combine(folder.FullName, CsvFileName);
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, JsonOptions), cancellationToken);
        await File.WriteAllTextAsync(csv, ToCsv(report.Files.SelectMany(file => file.Findings)), cancellationToken);
        return [json, csv];
    }

    public static string ToCsv(IEnumerable<Finding> findings)
    {
        var csv = new StringBuilder("file,line,severity,description\n");
        foreach (var finding in findings)
        {
            csv.Append(Field(finding.File)).Append(',')
                .Append(finding.Line.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(finding.Severity.ToString().ToLowerInvariant()).Append(',')
                .Append(Field(finding.Description)).Append('\n');
        }

        return csv.ToString();
    }

    // RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet does not run a model's text as a formula.
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
