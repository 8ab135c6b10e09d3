using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Scheduling;

/// <summary>User code that throws (progress, stop condition, maps, factory, tools) fails only what it touches; every item comes back.</summary>
public sealed class UserCodeFaultTests
{
    private static readonly string[] Items = [.. Enumerable.Range(0, 100).Select(i => $"item {i}")];

    [Fact]
    public async Task RunBatchAsync_ProgressReceiverThrows_EveryItemStillHasItsResult()
    {
        var reports = 0;
        var progress = new ThrowingProgress(_ => Interlocked.Increment(ref reports) % 7 == 3);
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(
            new ChatAgent(new FakeChatClient()), Items, s => s, r => r.Text, new BatchOptions { MaxConcurrency = 8, Progress = progress });

        Assert.Equal(100, result.Items.Count);
        Assert.Equal(100, result.SucceededCount);
        Assert.Equal(Enumerable.Range(0, 100), result.Items.Select(i => i.Index));
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
        Assert.Equal(100, reports);
        Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("progress receiver", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StreamBatchAsync_ProgressReceiverThrows_YieldsEveryItem()
    {
        var progress = new ThrowingProgress(_ => true);
        var seen = new HashSet<int>();

        await foreach (var item in new BatchRunner().StreamBatchAsync(
            new ChatAgent(new FakeChatClient()), Items.ToAsyncEnumerable(), s => s, r => r.Text, new BatchOptions { Progress = progress }))
        {
            Assert.True(seen.Add(item.Index));
            Assert.True(item.IsSuccess);
        }

        Assert.Equal(100, seen.Count);
    }

    [Fact]
    public async Task RunBatchAsync_StopConditionThrows_StopsFaultedAndReportsEveryUnreadItemSkipped()
    {
        var result = await new BatchRunner().RunBatchAsync(
            new ChatAgent(new FakeChatClient()),
            Items,
            s => s,
            r => r.Text,
            stopCondition: item => item.Index == 3 ? throw new FormatException("the condition's own bug") : false,
            new BatchOptions { MaxConcurrency = 2 });

        Assert.Equal(100, result.Items.Count);
        Assert.Equal(Enumerable.Range(0, 100), result.Items.Select(i => i.Index));
        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        var fault = Assert.IsType<InvalidOperationException>(result.Error);
        Assert.IsType<FormatException>(fault.InnerException);

        // The item the condition was judging keeps its own result; the ones in flight finished; the rest were never sent.
        Assert.True(result.Items[3].IsSuccess);
        Assert.InRange(result.SucceededCount, 4, 6);
        Assert.Equal(100 - result.SucceededCount, result.SkippedCount);
        Assert.All(result.Items.Where(i => i.Status == BatchItemStatus.Skipped), i =>
        {
            Assert.Same(fault, i.Error);
            Assert.False(i.WasSent);
        });
    }

    [Fact]
    public async Task StreamBatchAsync_LeftEarlyWhileTheSourceWaitsForItsNextItem_ReturnsPromptly()
    {
        // A channel-backed source: three items now, then nothing (the writer never completes).
        var channel = Channel.CreateUnbounded<string>();
        foreach (var item in new[] { "a", "b", "c" })
        {
            channel.Writer.TryWrite(item);
        }

        var results = new List<BatchItemResult<string>>();
        var consume = Task.Run(async () =>
        {
            await foreach (var result in new BatchRunner().StreamBatchAsync(
                new ChatAgent(new FakeChatClient()), channel.Reader.ReadAllAsync(CancellationToken.None), s => s, r => r.Text))
            {
                results.Add(result);
                if (results.Count == 3)
                {
                    break;
                }
            }
        });

        // The guard only keeps a broken build from hanging the test run: leaving must not wait for a fourth item.
        await consume.WaitAsync(Signals<int>.Guard);
        Assert.Equal(3, results.Count);
    }

    [Fact]
    public async Task StreamBatchAsync_CallerCancelsWhileTheSourceWaits_EndsPromptly()
    {
        var channel = Channel.CreateUnbounded<string>();
        channel.Writer.TryWrite("a");
        using var cancel = new CancellationTokenSource();
        var results = new List<BatchItemResult<string>>();

        var consume = Task.Run(async () =>
        {
            await foreach (var result in new BatchRunner().StreamBatchAsync(
                new ChatAgent(new FakeChatClient()), channel.Reader.ReadAllAsync(CancellationToken.None), s => s, r => r.Text, cancellationToken: cancel.Token))
            {
                results.Add(result);
                await cancel.CancelAsync();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consume.WaitAsync(Signals<int>.Guard));
        Assert.Single(results);
    }

    [Fact]
    public async Task RunBatchAsync_ThrowingFactoryMapsAndTool_FailOnlyTheirItems()
    {
        var tool = AIFunctionFactory.Create((string name) => name == "boom" ? throw new InvalidOperationException("tool bug") : $"hello {name}", "greet");
        var client = new FakeChatClient
        {
            Callback = (messages, _, _) =>
            {
                var last = messages[^1];
                if (last.Role == ChatRole.Tool)
                {
                    return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "done after tool")));
                }

                var text = last.Text;
                return Task.FromResult(text.StartsWith("tool:", StringComparison.Ordinal)
                    ? new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "greet", new Dictionary<string, object?> { ["name"] = text[5..] })]))
                    : new ChatResponse(new ChatMessage(ChatRole.Assistant, "echo " + text)));
            },
        };
        var template = new ChatAgent(client, new ChatAgentOptions { ChatOptions = new ChatOptions { Tools = [tool] } });
        string[] items = ["ok", "bad-input", "bad-output", "bad-factory", "tool:boom", "tool:ann"];

        var result = await new BatchRunner().RunBatchAsync(
            index => items[index] == "bad-factory" ? throw new InvalidOperationException("factory bug") : template.Clone(index),
            items,
            s => s == "bad-input" ? throw new FormatException("input map bug") : s,
            r => r.Text == "echo bad-output" ? throw new FormatException("output map bug") : r.Text);

        Assert.Equal(6, result.Items.Count);
        Assert.Equal("echo ok", result.Items[0].Output);
        Assert.IsType<FormatException>(result.Items[1].Error);
        Assert.IsType<FormatException>(result.Items[2].Error);
        Assert.IsType<InvalidOperationException>(result.Items[3].Error);

        // A tool that throws is the model's to handle: the loop reports the failure to it, and the item goes on.
        Assert.Equal("done after tool", result.Items[4].Output);
        Assert.Equal("done after tool", result.Items[5].Output);
        Assert.Equal(BatchStopReason.Completed, result.StopReason);
    }

    private sealed class ThrowingProgress(Func<BatchProgress, bool> shouldThrow) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value)
        {
            if (shouldThrow(value))
            {
                throw new InvalidOperationException("the receiver's own bug");
            }
        }
    }
}
