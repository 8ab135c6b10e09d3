using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>The <c>report_finding</c> tool the model calls once per finding. One instance serves every clone.</summary>
/// <remarks>
/// Clones share the template's tool instances, and many files are in flight at once, so the tool cannot keep findings
/// itself: they would mix. It asks the batch which item it is working for (<see cref="BatchItemContext.Current"/>, made
/// current by the runner for each item's flow, tool calls included) and writes to that item's collector.
/// </remarks>
internal static class ReportFindingTool
{
    public const string Name = "report_finding";

    /// <summary>Creates the tool.</summary>
    /// <param name="collectorFor">Gives the collector of the item at an index.</param>
    /// <returns>The tool.</returns>
    public static AIFunction Create(Func<int, FindingCollector> collectorFor) => AIFunctionFactory.Create(
        (
            [Description("The file's name, exactly as given in the review request.")] string file,
            [Description("The line number shown at the start of the flawed line.")] int line,
            [Description("One of: low, medium, high, critical.")] string severity,
            [Description("One sentence: what is wrong and how to fix it.")] string description) =>
        {
            var item = BatchItemContext.Current
                ?? throw new InvalidOperationException($"{Name} was called outside a batch item's run.");
            return collectorFor(item.Index).Report(file, line, severity, description);
        },
        Name,
        "Records one security vulnerability found in the file under review. Call it once per vulnerability.");
}
