using System.ClientModel;
using System.ClientModel.Primitives;
using AgentBatch.Internal;
using AgentBatch.Testing;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch.Tests.ProviderBatches;

/// <summary>
/// A wrong key and a key echoed back, in the provider batch lane: the upload refused (no file kept, no batch created, nothing
/// paid; the batch stops on the fault as live calls do) and the key in no result, error, log or record file.
/// </summary>
public sealed class ProviderBatchSecretTests : IDisposable
{
    private const string RightKey = "sk-proj-Right0000KeyForTheMock";
    private const string WrongKey = "sk-proj-Zx81QmT4vYc2LwPa9KdEwrong";
    private const string AnthropicWrongKey = "sk-ant-api03-Qw3rTy_uI-0pAsDfGhJkLwrong";
    private readonly AdvancingTimeProvider _time = new();
    private readonly MockChatServer _server;
    private readonly FakeLogCollector _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _folder = Directory.CreateTempSubdirectory("agentbatch-secrets-").FullName;

    public ProviderBatchSecretTests()
    {
        _server = MockChatServer.Start(r => MockChatReply.Answer("answer to " + r.LastUserText), _time);
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace));
    }

    public void Dispose()
    {
        _server.Dispose();
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task RunBatchAsync_OpenAIBatch_WrongKeyEchoed_NothingUploadedTheBatchStopsAndTheKeyIsNowhere()
    {
        _server.Batches.AcceptedApiKey = RightKey;
        var client = new OpenAI.OpenAIClient(new ApiKeyCredential(WrongKey), new OpenAI.OpenAIClientOptions { Endpoint = _server.Endpoint, RetryPolicy = new ClientRetryPolicy(0) })
            .AsBatchChatClient("gpt-4o-mini");

        var result = await RunAsync(client, WrongKey);

        AssertRefused(result, WrongKey, expectedStatus: 401);
    }

    [Fact]
    public async Task RunBatchAsync_AnthropicBatch_WrongKeyEchoed_NothingUploadedTheBatchStopsAndTheKeyIsNowhere()
    {
        _server.Batches.AcceptedApiKey = RightKey;
        var anthropic = new AnthropicClient(new ClientOptions { ApiKey = AnthropicWrongKey, BaseUrl = _server.Url.ToString(), MaxRetries = 0 });

        var result = await RunAsync(anthropic.AsBatchChatClient("claude-test-1"), AnthropicWrongKey);

        AssertRefused(result, AnthropicWrongKey, expectedStatus: 401);
    }

    [Fact]
    public async Task RunBatchAsync_OpenAIBatch_KeyEchoedInAnErroredLine_IsRedactedFromTheItemAndTheLogs()
    {
        _server.Batches.AcceptedApiKey = RightKey;
        _server.Responder = r => r.LastUserText == "q1"
            ? MockChatReply.Error(400, $"Request refused for key {r.ApiKey ?? RightKey}.")
            : MockChatReply.Answer("answer to " + r.LastUserText);
        var client = new OpenAI.OpenAIClient(new ApiKeyCredential(RightKey), new OpenAI.OpenAIClientOptions { Endpoint = _server.Endpoint, RetryPolicy = new ClientRetryPolicy(0) })
            .AsBatchChatClient("gpt-4o-mini");

        var result = await RunAsync(client, RightKey);

        Assert.Equal(["answer to q0", null, "answer to q2"], result.Items.Select(i => i.Output));
        var failed = result.Items[1];
        Assert.Equal((BatchItemStatus.Failed, true), (failed.Status, failed.WasSent));
        Assert.Equal(400, Assert.IsType<ClientResultException>(failed.Error).Status);
        Assert.Contains(SecretRedactor.Mask, failed.Error!.Message, StringComparison.Ordinal);
        AssertNowhere(result, RightKey);
    }

    private async Task<BatchResult<string>> RunAsync(IChatClient client, string key)
    {
        var options = new BatchOptions
        {
            Execution = BatchExecution.ProviderBatch,
            Secrets = { key },
            ProviderBatch = { Store = new FileProviderBatchStore(Path.Combine(_folder, "batches.jsonl")), RunId = "secrets" },
        };
        return await new BatchRunner(_loggerFactory, _time).RunBatchAsync(new ChatAgent(client), ["q0", "q1", "q2"], q => q, r => r.Text, options);
    }

    private void AssertRefused(BatchResult<string> result, string key, int expectedStatus)
    {
        Assert.Empty(_server.Batches.Created);
        Assert.Empty(_server.Batches.Files);
        Assert.Equal(0m, result.Cost);
        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.Equal(expectedStatus, FaultStatus(result.Error!));
        // Each item went out in the refused upload, so it failed with the refusal, as a live call refused for its key does.
        Assert.All(result.Items, i =>
        {
            Assert.Equal(BatchItemStatus.Failed, i.Status);
            Assert.Equal(expectedStatus, FaultStatus(i.Error!));
            Assert.Equal(0m, i.Cost);
            Assert.False(i.IsFinal);   // the key's fault, not the item's: a checkpoint or the worker leaves it for the next run
        });
        AssertNowhere(result, key);
    }

    private void AssertNowhere(BatchResult<string> result, string key)
    {
        Assert.DoesNotContain(key, result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, result.Error?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.All(result.Items, i => Assert.DoesNotContain(key, (i.Error?.ToString() ?? string.Empty) + i, StringComparison.Ordinal));
        Assert.All(_logs.GetSnapshot(), r => Assert.DoesNotContain(key, r.Message + r.Exception, StringComparison.Ordinal));
        foreach (var file in Directory.EnumerateFiles(_folder))
        {
            Assert.DoesNotContain(key, File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    private static int? FaultStatus(Exception error) => error switch
    {
        ClientResultException client => client.Status,
        global::Anthropic.Exceptions.AnthropicApiException anthropic => (int)anthropic.StatusCode,
        { InnerException: { } inner } => FaultStatus(inner),
        _ => null,
    };
}
