namespace AgentBatch.Hosting.Internal;

/// <summary>Counts and usage over a set's recorded results.</summary>
internal sealed class SetTotals
{
    public int Total { get; private set; }

    public int Succeeded { get; private set; }

    public int Failed { get; private set; }

    public int Skipped { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    /// <summary>Gets the cost of the recorded results whose price is known.</summary>
    public decimal Cost { get; private set; }

    /// <summary>Gets a value indicating whether some recorded usage had no known price.</summary>
    public bool CostUnknown { get; private set; }

    public void Add(DocumentResult result)
    {
        Total++;
        switch (result.Status)
        {
            case BatchItemStatus.Succeeded:
                Succeeded++;
                break;
            case BatchItemStatus.Failed:
                Failed++;
                break;
            default:
                Skipped++;
                break;
        }

        InputTokens += result.Usage?.InputTokens ?? 0;
        OutputTokens += result.Usage?.OutputTokens ?? 0;
        if (result.Cost is { } cost)
        {
            Cost += cost;
        }
        else
        {
            CostUnknown = true;
        }
    }
}
