using System.CommandLine;

namespace AgentBatch.Samples;

/// <summary>The flags both samples take: <c>--model</c>, <c>--max-concurrency</c>, <c>--telemetry</c>, <c>--mock-latency</c>.</summary>
public sealed class CommonSampleOptions
{
    /// <summary>Initializes a new instance of the <see cref="CommonSampleOptions"/> class.</summary>
    /// <param name="defaultMaxConcurrency">The default of <c>--max-concurrency</c>.</param>
    /// <param name="defaultMockLatencyMilliseconds">The default of <c>--mock-latency</c>.</param>
    public CommonSampleOptions(int defaultMaxConcurrency, int defaultMockLatencyMilliseconds)
    {
        MaxConcurrency = new Option<int>("--max-concurrency", "-c")
        {
            Description = "Items in flight at once",
            DefaultValueFactory = _ => defaultMaxConcurrency,
            CustomParser = OptionParsers.WholeNumberAtLeast("--max-concurrency", 1),
        };

        MockLatency = new Option<int>("--mock-latency")
        {
            Description = "Milliseconds the embedded mock takes to answer (no effect on a real endpoint)",
            DefaultValueFactory = _ => defaultMockLatencyMilliseconds,
            CustomParser = OptionParsers.WholeNumberAtLeast("--mock-latency", 0),
        };
    }

    /// <summary>Gets <c>--model</c>.</summary>
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = $"Model id to request (default: ${SampleEndpoint.ModelVariable}, else {SampleEndpoint.DefaultModel})",
    };

    /// <summary>Gets <c>--max-concurrency</c>.</summary>
    public Option<int> MaxConcurrency { get; }

    /// <summary>Gets <c>--telemetry</c>.</summary>
    public Option<bool> Telemetry { get; } = new("--telemetry")
    {
        Description = "Print AgentBatch's and Microsoft.Extensions.AI's spans and metrics (OpenTelemetry console exporter)",
    };

    /// <summary>Gets <c>--mock-latency</c>.</summary>
    public Option<int> MockLatency { get; }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Model);
        command.Options.Add(MaxConcurrency);
        command.Options.Add(Telemetry);
        command.Options.Add(MockLatency);
    }

    /// <summary>Reads the flags' values.</summary>
    /// <param name="result">The parse result.</param>
    /// <returns>The settings.</returns>
    public SampleSettings Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new SampleSettings(
            result.GetValue(Model),
            result.GetValue(MaxConcurrency),
            result.GetValue(Telemetry),
            TimeSpan.FromMilliseconds(result.GetValue(MockLatency)));
    }
}
