using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentBatch.Samples;

/// <summary>Exports AgentBatch's and Microsoft.Extensions.AI's spans and metrics to the console (the samples' <c>--telemetry</c> flag).</summary>
public sealed class SampleTelemetry : IDisposable
{
    /// <summary>The name of AgentBatch's <see cref="System.Diagnostics.ActivitySource"/> and meter.</summary>
    public const string AgentBatchSource = "AgentBatch";

    /// <summary>The default source and meter name of Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> layer: the per-call <c>gen_ai.*</c> telemetry.</summary>
    public const string ChatClientSource = "Experimental.Microsoft.Extensions.AI";

    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private SampleTelemetry(string serviceName)
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddSource(AgentBatchSource, ChatClientSource)
            .AddConsoleExporter()
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddMeter(AgentBatchSource, ChatClientSource)
            .AddConsoleExporter()
            .Build();
    }

    /// <summary>Starts exporting, when <paramref name="enabled"/>.</summary>
    /// <param name="enabled">Whether the flag was given.</param>
    /// <param name="serviceName">The service name on the exported resource.</param>
    /// <returns>The exporters, flushed when disposed; <see langword="null"/> when not enabled.</returns>
    public static SampleTelemetry? Start(bool enabled, string serviceName) => enabled ? new SampleTelemetry(serviceName) : null;

    /// <summary>Flushes the spans and the metrics (metrics are printed here, once, with the batch's totals).</summary>
    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }
}
