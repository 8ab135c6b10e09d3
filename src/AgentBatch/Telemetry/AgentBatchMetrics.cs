using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>AgentBatch's metrics: a <see cref="Meter"/> named <c>AgentBatch</c>, beside the <see cref="AgentBatchTelemetry.ActivitySource"/> of the same name.</summary>
/// <remarks>
/// <para>
/// Items by how they ended, their duration, the items in flight, the tokens and cost the server reported for them, and
/// the retries of the default resilience pipeline. Token types follow the OpenTelemetry GenAI conventions
/// (<c>gen_ai.token.type</c> is <c>input</c> or <c>output</c>); the per-call <c>gen_ai.client.*</c> metrics themselves
/// come from Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c>, so they are not repeated here.
/// </para>
/// <para>
/// Every recording is guarded by its instrument's <see cref="Instrument.Enabled"/>: with no listener the hot path reads
/// a flag per instrument and allocates nothing.
/// </para>
/// </remarks>
internal static class AgentBatchMetrics
{
    /// <summary>The tag naming how an item ended: <c>succeeded</c>, <c>failed</c>, <c>skipped</c> or <c>canceled</c>.</summary>
    public const string ItemStatusTag = "agentbatch.item.status";

    /// <summary>The GenAI conventions' token type tag.</summary>
    public const string TokenTypeTag = "gen_ai.token.type";

    /// <summary>The OpenTelemetry conventions' error type tag: the exception's full type name.</summary>
    public const string ErrorTypeTag = "error.type";

    private static readonly Meter Meter = new(BatchTelemetry.MeterName, typeof(AgentBatchMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Items = Meter.CreateCounter<long>(
        "agentbatch.items.completed", "{item}", "Batch items completed, by how they ended (agentbatch.item.status).");

    private static readonly UpDownCounter<long> ItemsActive = Meter.CreateUpDownCounter<long>(
        "agentbatch.items.active", "{item}", "Batch items in flight.");

    private static readonly Histogram<double> ItemDuration = Meter.CreateHistogram(
        "agentbatch.item.duration",
        "s",
        "How long batch items that started took, all their model calls and retries included.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "agentbatch.tokens", "{token}", "Tokens the server reported for batch items, by gen_ai.token.type (input or output).");

    private static readonly Counter<double> Cost = Meter.CreateCounter<double>(
        "agentbatch.cost", "{currency}", "Cost of the usage the server reported for batch items, in the currency of the batch's pricing.");

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "agentbatch.retries", "{retry}", "Model calls sent again by the default resilience pipeline, by the error.type that caused them.");

    /// <summary>The tag naming how a provider batch request ended, or <c>submitted</c>.</summary>
    public const string ProviderOutcomeTag = "agentbatch.provider_batch.outcome";

    /// <summary>The tag naming a provider batch's state: <c>submitted</c>, or the state it ended in.</summary>
    public const string ProviderStateTag = "agentbatch.provider_batch.state";

    private static readonly Counter<long> ProviderBatches = Meter.CreateCounter<long>(
        "agentbatch.provider_batches", "{batch}", "Provider batches submitted, and ended, by agentbatch.provider_batch.state.");

    private static readonly Counter<long> ProviderRequests = Meter.CreateCounter<long>(
        "agentbatch.provider_batch.requests", "{request}", "Requests submitted in provider batches, and their results, by agentbatch.provider_batch.outcome.");

    private static readonly Gauge<long> ProviderPending = Meter.CreateGauge<long>(
        "agentbatch.provider_batch.requests.pending", "{request}", "Requests in the provider batches a run waits for that the provider has not ended yet, after each poll.");

    /// <summary>Items entered (positive) or left (negative) the window of items in flight.</summary>
    public static void ItemsInFlight(int change)
    {
        if (ItemsActive.Enabled)
        {
            ItemsActive.Add(change);
        }
    }

    /// <summary>Records a completed item: its status, its duration when it started, and what it spent.</summary>
    public static void ItemCompleted(BatchItemStatus status, TimeSpan duration, UsageDetails? usage, decimal? cost)
    {
        if (Items.Enabled)
        {
            Items.Add(1, new KeyValuePair<string, object?>(ItemStatusTag, StatusName(status)));
        }

        if (ItemDuration.Enabled && status != BatchItemStatus.Skipped)
        {
            ItemDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(ItemStatusTag, StatusName(status)));
        }

        if (Tokens.Enabled && usage is not null)
        {
            if (usage.InputTokenCount is long input and > 0)
            {
                Tokens.Add(input, new KeyValuePair<string, object?>(TokenTypeTag, "input"));
            }

            if (usage.OutputTokenCount is long output and > 0)
            {
                Tokens.Add(output, new KeyValuePair<string, object?>(TokenTypeTag, "output"));
            }
        }

        if (Cost.Enabled && cost is { } known && known != 0)
        {
            Cost.Add((double)known);
        }
    }

    /// <summary>Records a model call about to be sent again after <paramref name="error"/>.</summary>
    public static void Retrying(Exception error)
    {
        if (Retries.Enabled)
        {
            Retries.Add(1, new KeyValuePair<string, object?>(ErrorTypeTag, error.GetType().FullName));
        }
    }

    private static string StatusName(BatchItemStatus status) => status switch
    {
        BatchItemStatus.Succeeded => "succeeded",
        BatchItemStatus.Failed => "failed",
        BatchItemStatus.Skipped => "skipped",
        BatchItemStatus.Canceled => "canceled",
        _ => "unknown",
    };

    /// <summary>Records a provider batch submitted with <paramref name="requests"/> requests.</summary>
    public static void ProviderBatchSubmitted(int requests)
    {
        if (ProviderBatches.Enabled)
        {
            ProviderBatches.Add(1, new KeyValuePair<string, object?>(ProviderStateTag, "submitted"));
        }

        if (ProviderRequests.Enabled)
        {
            ProviderRequests.Add(requests, new KeyValuePair<string, object?>(ProviderOutcomeTag, "submitted"));
        }
    }

    /// <summary>Records a provider batch that ended in <paramref name="state"/>.</summary>
    public static void ProviderBatchEnded(ProviderBatchState state)
    {
        if (ProviderBatches.Enabled)
        {
            ProviderBatches.Add(1, new KeyValuePair<string, object?>(ProviderStateTag, state switch
            {
                ProviderBatchState.Completed => "completed",
                ProviderBatchState.Expired => "expired",
                ProviderBatchState.Cancelled => "cancelled",
                ProviderBatchState.Failed => "failed",
                _ => "unknown",
            }));
        }
    }

    /// <summary>Records the result of one request of a provider batch.</summary>
    public static void ProviderRequestEnded(ProviderBatchOutcome outcome)
    {
        if (ProviderRequests.Enabled)
        {
            ProviderRequests.Add(1, new KeyValuePair<string, object?>(ProviderOutcomeTag, outcome switch
            {
                ProviderBatchOutcome.Succeeded => "succeeded",
                ProviderBatchOutcome.Errored => "errored",
                ProviderBatchOutcome.Expired => "expired",
                _ => "canceled",
            }));
        }
    }

    /// <summary>Records what the provider reports of the batches a run waits for.</summary>
    public static void ProviderProgress(ProviderBatchProgress progress)
    {
        if (ProviderPending.Enabled)
        {
            ProviderPending.Record(Math.Max(0, progress.Requests - progress.Done));
        }
    }
}
