using AgentBatch.Testing;
using Spectre.Console;

namespace AgentBatch.Samples;

/// <summary>
/// What a sample sets up before its batch and tears down after: the endpoint (printed, and checked to be reachable),
/// the optional telemetry exporters, and the progress display.
/// </summary>
public sealed class SampleSession : IDisposable
{
    private readonly SampleConsole _console;
    private readonly SampleTelemetry? _telemetry;
    private readonly bool _live;

    private SampleSession(SampleConsole console, SampleEndpoint endpoint, SampleTelemetry? telemetry)
    {
        _console = console;
        Endpoint = endpoint;
        _telemetry = telemetry;

        // The console exporter writes straight to stdout, which a live display would draw over.
        _live = console.Live && telemetry is null;
    }

    /// <summary>Gets the endpoint.</summary>
    public SampleEndpoint Endpoint { get; }

    /// <summary>Opens the endpoint, prints which one it is, checks it can be reached and starts telemetry if asked.</summary>
    /// <param name="console">Where output goes.</param>
    /// <param name="serviceName">The sample's name, for telemetry.</param>
    /// <param name="settings">The shared command-line settings.</param>
    /// <param name="mockModel">The scripted model the embedded mock answers with.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The session.</returns>
    /// <exception cref="SampleException">The endpoint is misconfigured or cannot be reached.</exception>
    public static async Task<SampleSession> StartAsync(
        SampleConsole console,
        string serviceName,
        SampleSettings settings,
        Func<MockChatRequest, MockChatReply> mockModel,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(settings);

        var endpoint = SampleEndpoint.Open(console, settings.Model, MockLatency.Apply(mockModel, settings.MockLatency));
        try
        {
            console.Output.MarkupLineInterpolated($"[grey]Endpoint:[/] {endpoint.Description}");
            if (await endpoint.CheckReachableAsync(cancellationToken).ConfigureAwait(false) is { } reason)
            {
                throw new SampleException(SampleExitCodes.Unreachable, reason);
            }

            // The token counter loads its encoding once per process (seconds on a small machine). Loading it here, before
            // the batch, keeps that out of the first item's time and so out of the progress bar's ETA.
            await Task.Run(() => SharpTokenCounter.Default.CountTokens(endpoint.Model, endpoint.Model), cancellationToken).ConfigureAwait(false);

            return new SampleSession(console, endpoint, SampleTelemetry.Start(settings.Telemetry, serviceName));
        }
        catch
        {
            endpoint.Dispose();
            throw;
        }
    }

    /// <summary>Runs a batch under a live progress bar, or with a plain line per update when the output is not a terminal.</summary>
    /// <typeparam name="T">The batch's result type.</typeparam>
    /// <param name="label">What the batch does, such as <c>Answering</c>.</param>
    /// <param name="total">The number of items.</param>
    /// <param name="run">Runs the batch with the progress receiver to put in <see cref="BatchOptions.Progress"/>.</param>
    /// <returns>The batch's result.</returns>
    public async Task<T> RunWithProgressAsync<T>(string label, int total, Func<IProgress<BatchProgress>, Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!_live)
        {
            _console.Output.WriteLine($"{label}: {total} items");
            return await run(new ForwardProgress(progress => _console.Output.WriteLine($"{label}: {ProgressText.Describe(progress)}"))).ConfigureAwait(false);
        }

        return await _console.Output.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape($"{label}  0/{total} done"), maxValue: Math.Max(1, total));
                var result = await run(new ForwardProgress(progress =>
                {
                    task.MaxValue = Math.Max(1, progress.Total ?? total);
                    task.Value = progress.Completed;
                    task.Description = Markup.Escape($"{label}  {ProgressText.Describe(progress)}");
                })).ConfigureAwait(false);
                task.StopTask();
                return result;
            })
            .ConfigureAwait(false);
    }

    /// <summary>Flushes telemetry (metrics are printed here) and stops the embedded mock.</summary>
    public void Dispose()
    {
        _telemetry?.Dispose();
        Endpoint.Dispose();
    }
}
