namespace AgentBatch.Hosting;

/// <summary>The totals of a finished document set: its <c>summary.json</c>.</summary>
public sealed class DocumentSetSummary
{
    /// <summary>Gets the set's name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the profile the set ran with.</summary>
    public required string Profile { get; init; }

    /// <summary>Gets the run of the set: 1 for the first time a set of this name ran, 2 when it was dropped again, and so on.</summary>
    public int Run { get; init; }

    /// <summary>Gets why the whole set could not run (for example a manifest that does not parse, or an unknown profile); <see langword="null"/> when it ran.</summary>
    public string? Error { get; init; }

    /// <summary>Gets the set's priority.</summary>
    public BatchPriority Priority { get; init; }

    /// <summary>Gets the number of documents, each counted once.</summary>
    public int Total { get; init; }

    /// <summary>Gets the number of documents that succeeded.</summary>
    public int Succeeded { get; init; }

    /// <summary>Gets the number of documents that failed.</summary>
    public int Failed { get; init; }

    /// <summary>Gets the number of documents skipped because a token or cost cap was reached.</summary>
    public int Skipped { get; init; }

    /// <summary>Gets the input tokens of all documents.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens of all documents.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Gets the total tokens of all documents.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Gets the cost of all documents.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Gets when the set's run started (its first start, if the worker restarted during it).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the set finished.</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>Gets the wall time from <see cref="StartedAt"/> to <see cref="CompletedAt"/>, in seconds.</summary>
    public double ElapsedSeconds => (CompletedAt - StartedAt).TotalSeconds;

    /// <summary>Gets the folder the set's results were written to.</summary>
    public required string OutputFolder { get; init; }
}
