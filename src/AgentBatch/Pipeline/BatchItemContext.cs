using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>The batch item a model call or a tool is running for: its index, the requests sent for it so far, and its cancellation.</summary>
/// <remarks>
/// <para>
/// <see cref="BatchRunner"/> makes the item current for the asynchronous flow it runs the item's agent on, as
/// <c>FunctionInvokingChatClient.CurrentContext</c> does for a function call. Everything that flow calls sees it: the
/// agent, its chat pipeline, and the tools the function-invocation loop invokes. A tool shared by every clone can
/// read <see cref="Current"/> to know which item it is working for, so it needs no <see cref="AsyncLocal{T}"/> of its own.
/// </para>
/// <para>
/// It is a read-only view; the batch's own accounting behind it (attempts, usage, cost) is updated by the AgentBatch
/// layer of the chat pipeline (<c>UseAgentBatch()</c>), which every model call of every item passes. All members are
/// thread-safe.
/// </para>
/// </remarks>
public sealed class BatchItemContext
{
    // One slot: the item itself, or an agent run inside it (which also counts turns). An AsyncLocal rather than
    // ChatOptions, because agents and the function-invocation loop are free to copy or replace the options they pass down.
    private static readonly AsyncLocal<object?> Scope = new();

    private UsageDetails? _usage;
    private bool _ownsUsage;
    private decimal _cost;
    private bool _costUnknown;
    private int _attempts;
    private int _calls;
    private ReadFault? _lastFault;

    internal BatchItemContext(int index, int itemCount, ModelCallPolicy? policy, ChatResponseFormat? responseFormat, CancellationToken cancellationToken)
    {
        Index = index;
        ItemCount = itemCount;
        Policy = policy;
        CancellationToken = cancellationToken;
        ResponseFormat = responseFormat;
    }

    /// <summary>Gets the item the current asynchronous flow runs for, or <see langword="null"/> outside a batch.</summary>
    public static BatchItemContext? Current => Scope.Value switch
    {
        BatchItemContext item => item,
        AgentRun run => run.Item,
        _ => null,
    };

    /// <summary>Gets the zero-based input position of the item; for a grouped request, of its first item.</summary>
    public int Index { get; }

    /// <summary>Gets the number of items the calls answer at once: 1, or the size of a grouped request.</summary>
    public int ItemCount { get; }

    /// <summary>Gets the number of requests sent to the model for the item so far, retries and tool round trips included.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Gets the token that is cancelled when the item must stop: the batch stops or is cancelled, or the item times out.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets the response format every call of the item asks for (typed output), or <see langword="null"/> to leave each call's own.</summary>
    internal ChatResponseFormat? ResponseFormat { get; }

    /// <summary>Gets the batch's per-call policy, or <see langword="null"/> for a detached run.</summary>
    internal ModelCallPolicy? Policy { get; }

    /// <summary>Gets the number of logical model calls (each possibly retried) that passed the AgentBatch layer for the item.</summary>
    internal int Calls => Volatile.Read(ref _calls);

    /// <summary>Gets the usage the server reported for the item's calls, summed.</summary>
    internal UsageDetails? Usage
    {
        get
        {
            lock (this)
            {
                return _usage;
            }
        }
    }

    /// <summary>Gets the cost of the reported usage, or <see langword="null"/> when some of it has no known price.</summary>
    internal decimal? Cost
    {
        get
        {
            lock (this)
            {
                return _costUnknown ? null : _cost;
            }
        }
    }

    /// <summary>Makes <paramref name="item"/> current for the calling asynchronous flow (undone when the calling async method returns).</summary>
    internal static void Enter(BatchItemContext item) => Scope.Value = item;

    /// <summary>Starts an agent run on the calling flow that may make at most <paramref name="maxTurns"/> model calls.</summary>
    internal static void BeginAgentRun(int maxTurns) => Scope.Value = new AgentRun(Current, maxTurns);

    /// <summary>Gets what a model call on the current flow runs under: its item (if any) and its agent run (if any).</summary>
    internal static (BatchItemContext? Item, AgentRun? Run) CurrentScope() => Scope.Value switch
    {
        BatchItemContext item => (item, null),
        AgentRun run => (run.Item, run),
        _ => (null, null),
    };

    /// <summary>Gets the classifier of the provider the item's last call went to, if its client has one.</summary>
    internal ModelFaultClassifier? Classifier { get; private set; }

    /// <summary>Records a logical call, with the classifier of the provider it goes to.</summary>
    internal void RecordCall(ModelFaultClassifier? classifier)
    {
        Interlocked.Increment(ref _calls);
        if (classifier is not null)
        {
            Classifier = classifier;
        }
    }

    /// <summary>
    /// Records usage an agent's reply reports for calls that did not pass the AgentBatch layer (an agent whose model calls
    /// cannot be routed through it): counted on the item, priced, and charged to the batch's caps after the fact.
    /// </summary>
    internal void RecordUnroutedUsage(UsageDetails usage, string? modelId)
    {
        var cost = Policy?.ChargeUnrouted(usage, modelId);
        RecordUsage(usage, Policy is null ? null : cost);
    }

    /// <summary>Records what a failed attempt's (redacted) error said, so that the item's result and log line can say it too.</summary>
    internal void RecordFault(Exception error, ModelFault? fault) => Volatile.Write(ref _lastFault, new ReadFault(error, fault));

    /// <summary>Gets what the item's last failed attempt said, when <paramref name="error"/> is that attempt's error (or wraps it).</summary>
    internal ModelFault? FaultOf(Exception error) => IsAttemptError(error, out var fault) ? fault : null;

    /// <summary>Gets whether <paramref name="error"/> is (or wraps) the error the item's last failed attempt ended with, and what that attempt's error said.</summary>
    internal bool IsAttemptError(Exception error, out ModelFault? fault)
    {
        var last = Volatile.Read(ref _lastFault);
        for (var e = error; e is not null && last is not null; e = e.InnerException)
        {
            if (ReferenceEquals(e, last.Error))
            {
                fault = last.Fault;
                return true;
            }
        }

        fault = null;
        return false;
    }

    internal void RecordAttempt() => Interlocked.Increment(ref _attempts);

    /// <summary>Adds one call's reported usage and its cost (<see langword="null"/> when the model has no known price).</summary>
    internal void RecordUsage(UsageDetails? usage, decimal? cost)
    {
        if (usage is null)
        {
            return;
        }

        lock (this)
        {
            // One call (the common case): its reported figures are the item's, not copied. More calls are summed into
            // an instance of the item's own, so that no call's reported figures are ever changed.
            if (_usage is null)
            {
                _usage = usage;
            }
            else
            {
                var sum = _ownsUsage ? _usage : UsageMath.Copy(_usage);
                sum.Add(usage);
                _usage = sum;
                _ownsUsage = true;
            }

            if (cost is { } known)
            {
                _cost += known;
            }
            else
            {
                _costUnknown = true;
            }
        }
    }

    private sealed record ReadFault(Exception Error, ModelFault? Fault);
}
