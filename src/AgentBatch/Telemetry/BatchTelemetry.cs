namespace AgentBatch;

/// <summary>The names AgentBatch's traces and metrics are published under, for OpenTelemetry's <c>AddSource</c> and <c>AddMeter</c>.</summary>
/// <remarks>
/// Spans: <c>agentbatch.batch</c> per batch and <c>agentbatch.item</c> per item. Instruments: <c>agentbatch.items.completed</c>,
/// <c>agentbatch.item.duration</c>, <c>agentbatch.items.active</c>, <c>agentbatch.tokens</c>, <c>agentbatch.cost</c> and
/// <c>agentbatch.retries</c>. Per-call <c>gen_ai.*</c> spans and metrics come from Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c>.
/// </remarks>
public static class BatchTelemetry
{
    /// <summary>The name of AgentBatch's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "AgentBatch";

    /// <summary>The name of AgentBatch's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "AgentBatch";
}
