using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>The per-item state that model calls made on behalf of one batch item report into.</summary>
/// <remarks>
/// It flows to the chat pipeline through an <see cref="AsyncLocal{T}"/> rather than through <see cref="ChatOptions"/>
/// because agents (and the function-invocation loop) are free to copy or replace the options they pass down.
/// It locks on itself (it is never exposed) to save an allocation per item.
/// </remarks>
internal sealed class BatchItemContext
{
    private static readonly AsyncLocal<BatchItemContext?> CurrentContext = new();

    private UsageDetails? _usage;
    private bool _ownsUsage;
    private decimal _cost;
    private int _attempts;
    private int _calls;

    public BatchItemContext(int index, ModelCallPipeline pipeline)
    {
        Index = index;
        Pipeline = pipeline;
    }

    /// <summary>Gets or sets the context of the batch item running on the current asynchronous flow.</summary>
    public static BatchItemContext? Current
    {
        get => CurrentContext.Value;
        set => CurrentContext.Value = value;
    }

    public int Index { get; }

    /// <summary>Gets or sets the number of items this call answers at once; above 1 for a grouped request.</summary>
    public int GroupSize { get; init; } = 1;

    public ModelCallPipeline Pipeline { get; }

    /// <summary>Gets the number of requests sent to the model for this item, retries included.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Gets the number of logical model calls (each possibly retried) made for this item.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public UsageDetails? Usage
    {
        get
        {
            lock (this)
            {
                return _usage;
            }
        }
    }

    public decimal Cost
    {
        get
        {
            lock (this)
            {
                return _cost;
            }
        }
    }

    public void RecordCall() => Interlocked.Increment(ref _calls);

    public void RecordAttempt() => Interlocked.Increment(ref _attempts);

    public void RecordUsage(UsageDetails? usage, decimal cost)
    {
        if (usage is null && cost == 0)
        {
            return;
        }

        lock (this)
        {
            if (usage is not null)
            {
                // One call (the common case): its reported figures are the item's, not copied. More calls are summed
                // into an instance of the item's own, so that no call's reported figures are ever changed.
                if (_usage is null)
                {
                    _usage = usage;
                }
                else
                {
                    var sum = _ownsUsage ? _usage : Copy(_usage);
                    sum.Add(usage);
                    _usage = sum;
                    _ownsUsage = true;
                }
            }

            _cost += cost;
        }
    }

    private static UsageDetails Copy(UsageDetails usage)
    {
        var copy = new UsageDetails();
        copy.Add(usage);
        return copy;
    }
}
