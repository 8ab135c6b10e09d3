using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Telemetry;

/// <summary>An expected per-item failure is one line at Warning, without a stack or a server's body; the details are at Debug.</summary>
public sealed class FailureLoggingTests : IDisposable
{
    private readonly MockChatServer _server = MockChatServer.Start(request => request.LastUserText == "refused"
        ? MockChatReply.Error(400, "BODY-TEXT-FROM-THE-SERVER")
        : MockChatReply.Answer("ok"));

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_ItemFailures_AreOneLineEachAtWarning()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Information));

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(
            new ChatAgent(_server.CreateChatClient()), ["fine", null!, "refused", "   "], s => s, r => r.Text);

        Assert.Equal(3, result.FailedCount);
        var warnings = logs.GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.All(warnings, w =>
        {
            Assert.Null(w.Exception);
            Assert.DoesNotContain('\n', w.Message);
            Assert.DoesNotContain("BODY-TEXT", w.Message, StringComparison.Ordinal);
        });
        Assert.Contains(warnings, w => w.Message.Contains("is null", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("HTTP 400", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("empty string", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunBatchAsync_AtDebug_TheExceptionGoesWithItsOwnLine()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));

        await new BatchRunner(loggerFactory).RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["refused"], s => s, r => r.Text);

        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Debug && r.Exception is System.ClientModel.ClientResultException);
    }
}
