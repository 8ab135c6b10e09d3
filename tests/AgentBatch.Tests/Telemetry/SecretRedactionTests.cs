using AgentBatch;
using System.ClientModel;
using AgentBatch.Internal;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentBatch.Tests.Telemetry;

/// <summary>An endpoint that echoes the request's key: the key reaches no result, exception or log line, on any path.</summary>
public sealed class SecretRedactionTests : IDisposable
{
    // The mock's client sends "mock-key-not-secret", which no built-in pattern recognises: it is named in Secrets.
    private const string MockKey = "mock-key-not-secret";
    private readonly MockChatServer _server = MockChatServer.Start(request =>
        MockChatReply.Error(400, $"Invalid request for api key {request.ApiKey}; Authorization: Bearer {request.ApiKey}"));

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task RunBatchAsync_KeyEchoedInErrorBodies_IsRedactedFromResultsLogsAndTheBatchError()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));
        var options = new BatchOptions { Secrets = { MockKey }, RetryBaseDelay = TimeSpan.Zero };

        var result = await new BatchRunner(loggerFactory).RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["a", "b", "c"], s => s, r => r.Text, options);

        Assert.Equal(3, result.FailedCount);
        Assert.Contains(MockKey, _server.Requests[0].Headers["Authorization"], StringComparison.Ordinal);
        foreach (var item in result.Items)
        {
            var error = Assert.IsType<ClientResultException>(item.Error);
            Assert.Equal(400, error.Status);
            AssertClean(error.ToString());
            AssertClean(error.GetRawResponse()!.Content.ToString());
            Assert.Contains(SecretRedactor.Mask, error.Message, StringComparison.Ordinal);
            AssertClean(item.ToString());
        }

        AssertClean(result.ToString());
        Assert.All(logs.GetSnapshot(), r => AssertClean(r.Message + r.Exception));
    }

    [Fact]
    public async Task RunBatchAsync_ThrowMode_TheThrownExceptionIsRedacted()
    {
        var options = new BatchOptions { Secrets = { MockKey }, ErrorHandling = BatchErrorHandling.Throw };

        var error = await Assert.ThrowsAsync<BatchItemException>(() =>
            new BatchRunner().RunBatchAsync(new ChatAgent(_server.CreateChatClient()), ["a"], s => s, r => r.Text, options));

        AssertClean(error.ToString());
        Assert.IsType<ClientResultException>(error.InnerException);
    }

    [Fact]
    public async Task RunBatchAsync_WrongKeyEchoed_TheBatchErrorAndEverySkippedItemAreRedacted()
    {
        const string Key = "sk-proj-Zx81QmT4vYc2LwPa9KdE";
        _server.Responder = request => MockChatReply.Error(401, $"Incorrect API key provided: {request.ApiKey}.");
        var client = new OpenAI.OpenAIClient(new ApiKeyCredential(Key), new OpenAI.OpenAIClientOptions { Endpoint = _server.Endpoint, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) })
            .GetChatClient("gpt-4o-mini").AsBatchChatClient();

        // No Secrets given: an sk- key is recognised by its shape.
        var result = await new BatchRunner().RunBatchAsync(new ChatAgent(client), Enumerable.Range(0, 20).Select(i => $"q{i}"), s => s, r => r.Text, new BatchOptions { MaxConcurrency = 2 });

        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.DoesNotContain(Key, result.Error!.ToString(), StringComparison.Ordinal);
        Assert.Contains("sk-***", result.Error.Message, StringComparison.Ordinal);
        Assert.All(result.Items, i => Assert.DoesNotContain(Key, i.Error?.ToString() ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StreamBatchAsync_KeyEchoedForAStreamedCall_IsRedacted()
    {
        var template = new StreamingAgent(StreamingAgent.Wire(_server.CreateChatClient()));

        await foreach (var item in new BatchRunner().StreamBatchAsync(template, new[] { "a" }.ToAsyncEnumerable(), s => s, r => r.Text, new BatchOptions { Secrets = { MockKey } }))
        {
            Assert.Equal(BatchItemStatus.Failed, item.Status);
            AssertClean(item.Error!.ToString());
        }
    }

    [Theory]
    [InlineData("Incorrect API key provided: sk-proj-abcdefgh12345678.", "sk-proj-abcdefgh12345678")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("{\"api-key\": \"0123456789abcdef0123456789abcdef\"}", "0123456789abcdef0123456789abcdef")]
    [InlineData("x-api-key=sk-ant-api03-AAAABBBBCCCCDDDD", "AAAABBBBCCCCDDDD")]
    [InlineData("invalid key sk-ant-api03-Qw3rTy_uI-0pAsDfGhJkL", "Qw3rTy_uI-0pAsDfGhJkL")]
    [InlineData("Authorization: Bearer sk-ant-admin01-ZZZZyyyyXXXXwwww", "ZZZZyyyyXXXXwwww")]
    [InlineData("basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==")]
    public void Redact_CredentialShapes_AreMasked(string text, string secret)
    {
        var redacted = SecretRedactor.Default.Redact(text);

        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_CleanException_IsReturnedAsItIs()
    {
        var error = new InvalidOperationException("The input map returned null for batch item 3.");

        Assert.Same(error, SecretRedactor.Default.Redact(error));
    }

    [Fact]
    public void Redact_SecretDeepInTheChain_RebuildsTheChainKeepingTypes()
    {
        var redactor = new SecretRedactor(["hunter2-very-secret"]);
        var error = new TimeoutException("outer", new InvalidModelResponseException("inner hunter2-very-secret", null, isTransient: true));

        var redacted = redactor.Redact(error);

        Assert.IsType<TimeoutException>(redacted);
        var inner = Assert.IsType<InvalidModelResponseException>(redacted.InnerException);
        Assert.True(inner.IsTransient);
        Assert.DoesNotContain("hunter2", redacted.ToString(), StringComparison.Ordinal);
    }

    private static void AssertClean(string text) => Assert.DoesNotContain(MockKey, text, StringComparison.Ordinal);
}
