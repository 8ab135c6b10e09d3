using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Reads a server's reported usage defensively: what a cap is settled with must never lower what was spent.</summary>
internal static class UsageMath
{
    /// <summary>
    /// Returns <paramref name="usage"/> itself when its counts are sane, otherwise a copy with negative counts set to zero
    /// and a total no smaller than input plus output, so a confused or hostile server cannot raise the remaining cap.
    /// </summary>
    public static UsageDetails? Sanitize(UsageDetails? usage) => Sanitize(usage, out _);

    /// <inheritdoc cref="Sanitize(UsageDetails?)"/>
    /// <param name="usage">The usage as reported.</param>
    /// <param name="suspect">Set when the report had to be corrected: it cannot be trusted to say what the call cost.</param>
    public static UsageDetails? Sanitize(UsageDetails? usage, out bool suspect)
    {
        suspect = false;
        if (usage is null)
        {
            return null;
        }

        var input = usage.InputTokenCount;
        var output = usage.OutputTokenCount;
        var total = usage.TotalTokenCount;
        var parts = Add(Math.Max(0, input ?? 0), Math.Max(0, output ?? 0));
        if (input is not < 0 && output is not < 0 && total is not < 0 && (total is null || total >= parts))
        {
            return usage;
        }

        suspect = true;
        var copy = Copy(usage);
        copy.InputTokenCount = input is { } i ? Math.Max(0, i) : null;
        copy.OutputTokenCount = output is { } o ? Math.Max(0, o) : null;
        copy.TotalTokenCount = total is { } t ? Math.Max(parts, Math.Max(0, t)) : null;
        return copy;
    }

    /// <summary>Gets the tokens a call is charged with: the reported total, or input plus output when no total came.</summary>
    public static long? Tokens(UsageDetails? usage) =>
        usage is null ? null : Math.Max(Math.Max(0, usage.TotalTokenCount ?? 0), Add(Math.Max(0, usage.InputTokenCount ?? 0), Math.Max(0, usage.OutputTokenCount ?? 0)));

    /// <summary>Adds two counts that are not negative, saturating instead of wrapping round to a negative figure.</summary>
    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static UsageDetails Copy(UsageDetails usage)
    {
        var copy = new UsageDetails();
        copy.Add(usage);
        return copy;
    }
}
