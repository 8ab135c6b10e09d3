using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>An item waiting in, or running as part of, a grouped request, with what earlier unusable group replies spent on it.</summary>
internal sealed class GroupMember<TItem>(int index, TItem item, BatchInput input, int tokens)
{
    private UsageDetails? _carriedUsage;
    private decimal _carriedCost;
    private bool _carriedCostUnknown;
    private int _carriedAttempts;

    public int Index { get; } = index;

    public TItem Item { get; } = item;

    public BatchInput Input { get; } = input;

    public int Tokens { get; } = tokens;

    /// <summary>Keeps what a reply that answered nothing usable spent on this item, for its final result.</summary>
    public void Carry(UsageDetails? usage, decimal? cost, int attempts)
    {
        if (usage is not null)
        {
            (_carriedUsage ??= new UsageDetails()).Add(usage);
        }

        if (cost is { } known)
        {
            _carriedCost += known;
        }
        else
        {
            _carriedCostUnknown = true;
        }

        _carriedAttempts += attempts;
    }

    /// <summary>Adds what earlier replies spent on the item to its result.</summary>
    public BatchItemResult<TItem, TOutput> WithCarried<TOutput>(BatchItemResult<TItem, TOutput> result)
    {
        if (_carriedUsage is null && _carriedCost == 0 && !_carriedCostUnknown && _carriedAttempts == 0)
        {
            return result;
        }

        var usage = result.Usage;
        if (_carriedUsage is not null)
        {
            usage = UsageMath.Copy(_carriedUsage);
            if (result.Usage is not null)
            {
                usage.Add(result.Usage);
            }
        }

        var cost = _carriedCostUnknown || result.Cost is null ? null : result.Cost + _carriedCost;
        var attempts = result.Attempts + _carriedAttempts;
        return new BatchItemResult<TItem, TOutput>(
            result.Index, result.Item, result.Status, result.Output, result.Error, usage, cost, attempts, result.Duration, result.NotSentReason, result.FailedOnItsOwn);
    }
}
