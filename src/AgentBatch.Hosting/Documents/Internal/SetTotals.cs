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

    public decimal Cost { get; private set; }

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
        Cost += result.Cost;
    }
}
