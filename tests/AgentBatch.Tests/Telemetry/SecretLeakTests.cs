using AgentBatch;
using System.ClientModel;
using System.ClientModel.Primitives;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenAI;

namespace AgentBatch.Tests.Telemetry;

/// <summary>A failing batch, every log line captured at every level: the API key and the texts must not leak.</summary>
public sealed class SecretLeakTests : IDisposable
{
    private const string ApiKey = "sk-agentbatch-DO-NOT-LEAK-3f9a7c21e6b84d05";
    private readonly MockChatServer _server = MockChatServer.Start();
    private readonly FakeLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public SecretLeakTests()
    {
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task RunBatchAsync_FailingBatch_NeverWritesTheKeyOrTextsWhereTheyDoNotBelong()
    {
        // A proxy that echoes the request's credential in its error bodies, as some do.
        _server.Responder = request =>
        {
            var i = int.Parse(request.LastUserText.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture);
            return (i % 3) switch
            {
                0 => MockChatReply.Error(400, $"Request rejected for key {request.ApiKey}: unsupported parameter."),
                1 => MockChatReply.Error(500, $"internal error (Authorization: Bearer {request.ApiKey})"),
                _ => MockChatReply.Answer($"COMPLETION-{i}-zebra"),
            };
        };

        // The whole stack logs into the collector: the OpenAI client's own pipeline logging, M.E.AI's logging layer
        // (message texts at Trace only), and the runner.
        var openAI = new OpenAIClient(new ApiKeyCredential(ApiKey), new OpenAIClientOptions
        {
            Endpoint = _server.Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            ClientLoggingOptions = new ClientLoggingOptions { LoggerFactory = _loggerFactory, EnableLogging = true, EnableMessageLogging = true },
        });
        var chatClient = openAI.GetChatClient("gpt-4o-mini").AsBatchChatClient().AsBuilder().UseLogging(_loggerFactory).Build();
        var items = Enumerable.Range(0, 12).Select(i => $"PROMPT-{i}-giraffe").ToList();

        var result = await new BatchRunner(_loggerFactory).RunBatchAsync(
            new ChatAgent(chatClient), items, s => s, r => r.Text, new BatchOptions { MaxAttempts = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        Assert.Equal(4, result.SucceededCount);
        Assert.Equal(8, result.FailedCount);
        Assert.Contains(result.Items, i => i.Error is ClientResultException { Status: 400 });
        Assert.Contains(result.Items, i => i.Error is ClientResultException { Status: 500 });

        var records = _logs.Collector.GetSnapshot();

        // Controls: the collector does see the texts (at Trace, from M.E.AI's logging layer) and the client's request logs.
        Assert.Contains(records, r => r.Level == LogLevel.Trace && Describe(r).Contains("giraffe", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Category?.StartsWith("System.ClientModel", StringComparison.Ordinal) == true);
        // One line per failed item at Warning, without the exception (and so without the server's body) attached.
        Assert.Equal(8, records.Count(r => r.Level == LogLevel.Warning && r.Exception is null && r.Category == typeof(BatchRunner).FullName && r.Message.Contains("HTTP", StringComparison.Ordinal)));
        foreach (var record in records)
        {
            var text = Describe(record);

            // The layers of the caller's own pipeline below AgentBatch (the client's message logging, M.E.AI's logging
            // layer) see the server's reply before AgentBatch does; what AgentBatch itself writes never has the key.
            if (record.Category == typeof(BatchRunner).FullName)
            {
                Assert.DoesNotContain(ApiKey, text);
            }

            if (record.Level >= LogLevel.Information)
            {
                Assert.DoesNotContain("giraffe", text);
                Assert.DoesNotContain("zebra", text);
            }
        }

        Assert.DoesNotContain(ApiKey, result.ToString());
        foreach (var item in result.Items)
        {
            Assert.DoesNotContain(ApiKey, item.ToString());
            Assert.DoesNotContain(ApiKey, item.Error?.ToString() ?? string.Empty);
            Assert.DoesNotContain(ApiKey, (item.Error as ClientResultException)?.GetRawResponse()?.Content.ToString() ?? string.Empty);
        }
    }

    private static string Describe(FakeLogRecord record) =>
        string.Join(
            "\n",
            record.Message,
            record.Exception?.ToString() ?? string.Empty,
            string.Join(";", record.StructuredState?.Select(kv => $"{kv.Key}={kv.Value}") ?? []));
}
