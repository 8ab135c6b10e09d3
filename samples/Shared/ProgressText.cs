using System.Globalization;

namespace AgentBatch.Samples;

/// <summary>How the samples write counts, tokens, cost and durations.</summary>
public static class ProgressText
{
    /// <summary>One line for a progress snapshot: <c>3/8 done, 0 failed, ETA 0:02, 1,234 tokens, $0.000300</c>.</summary>
    /// <param name="progress">The snapshot.</param>
    /// <returns>The line.</returns>
    public static string Describe(BatchProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var total = progress.Total?.ToString(CultureInfo.InvariantCulture) ?? "?";
        var eta = progress.EstimatedRemaining is { } remaining ? Duration(remaining) : "-";
        return $"{progress.Completed}/{total} done, {progress.Failed} failed, ETA {eta}, {Tokens(progress.TotalTokens)} tokens, {Cost(progress.Cost)}";
    }

    /// <summary>Formats a token count with thousands separators.</summary>
    /// <param name="tokens">The count.</param>
    /// <returns>The text.</returns>
    public static string Tokens(long? tokens) => (tokens ?? 0).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Formats a cost in US dollars, with enough decimals for a fraction of a cent; <c>$?</c> when the model's price is unknown.</summary>
    /// <param name="cost">The cost, or <see langword="null"/> when unknown.</param>
    /// <returns>The text.</returns>
    public static string Cost(decimal? cost) => cost is { } known ? "$" + known.ToString(known < 1m ? "0.000000" : "0.00", CultureInfo.InvariantCulture) : "$? (no price known)";

    /// <summary>Formats a duration as <c>m:ss</c>, or <c>h:mm:ss</c> past an hour.</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The text.</returns>
    public static string Duration(TimeSpan duration) =>
        duration.ToString(duration >= TimeSpan.FromHours(1) ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);
}
