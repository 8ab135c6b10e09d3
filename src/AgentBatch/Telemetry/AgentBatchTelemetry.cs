using System.Diagnostics;

namespace AgentBatch.Internal;

/// <summary>AgentBatch's tracing: a span per batch and per item, around the per-call <c>gen_ai.*</c> spans of Microsoft.Extensions.AI.</summary>
/// <remarks>The metrics are in <see cref="AgentBatchMetrics"/>, under the same name.</remarks>
internal static class AgentBatchTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and meter.</summary>
    public const string SourceName = BatchTelemetry.ActivitySourceName;

    public static readonly ActivitySource ActivitySource = new(SourceName, typeof(AgentBatchTelemetry).Assembly.GetName().Version?.ToString());

    public static Activity? StartBatch(int? maxConcurrency, int? total)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        var activity = ActivitySource.StartActivity("agentbatch.batch");
        activity?.SetTag("agentbatch.max_concurrency", maxConcurrency);
        activity?.SetTag("agentbatch.items.total", total);
        return activity;
    }

    public static void EndBatch(Activity? activity, BatchStopReason stopReason, int completed, int failed)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("agentbatch.stop_reason", stopReason.ToString());
        activity.SetTag("agentbatch.items.completed", completed);
        activity.SetTag("agentbatch.items.failed", failed);
        if (stopReason == BatchStopReason.Faulted)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    public static Activity? StartItem(int index)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        var activity = ActivitySource.StartActivity("agentbatch.item");
        activity?.SetTag("agentbatch.item.index", index);
        return activity;
    }

    public static void SetItemError(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("error.type", error.GetType().FullName);
        activity.SetStatus(ActivityStatusCode.Error);
    }
}
