using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The <c>report_finding</c> tool the model calls once per finding. One instance serves every clone.</summary>
internal static class ReportFindingTool
{
    public const string Name = "report_finding";

    public static AIFunction Create() => AIFunctionFactory.Create(
        Report,
        Name,
        "Records one security vulnerability found in the file under review. Call it once per vulnerability.");

    private static string Report(
        [Description("The file's name, exactly as given in the review request.")] string file,
        [Description("The line number shown at the start of the flawed line.")] int line,
        [Description("One of: low, medium, high, critical.")] string severity,
        [Description("One sentence: what is wrong and how to fix it.")] string description)
    {
        var collector = FindingsAgent.Current
            ?? throw new InvalidOperationException($"{Name} was called outside an analyzer clone's run.");
        return collector.Report(file, line, severity, description);
    }
}
