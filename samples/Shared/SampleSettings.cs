namespace AgentBatch.Samples;

/// <summary>The command-line settings both samples share.</summary>
/// <param name="Model">The model id from <c>--model</c>, or <see langword="null"/>.</param>
/// <param name="MaxConcurrency">Items in flight at once, from <c>--max-concurrency</c>.</param>
/// <param name="Telemetry">Whether <c>--telemetry</c> was given.</param>
/// <param name="MockLatency">How long the embedded mock takes to answer, from <c>--mock-latency</c>.</param>
public sealed record SampleSettings(string? Model, int MaxConcurrency, bool Telemetry, TimeSpan MockLatency);
