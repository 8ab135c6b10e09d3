using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using AgentBatch.Testing;
using Anthropic;
using AnthropicErrorType = Anthropic.Models.ErrorType;
using ClientOptions = Anthropic.Core.ClientOptions;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Anthropic.Models.Messages.Batches;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Batch;
using OpenAI.Chat;
using OpenAI.Files;

#pragma warning disable OPENAI001 // The OpenAI batch and file clients are experimental.

namespace AgentBatch.Tests.Testing;

/// <summary>
/// The mock server's provider batch endpoints, driven through the real official clients (OpenAI 2.14's file and batch
/// clients, Anthropic 13.14's message batches) on a fake clock: every state change is the test's own step.
/// </summary>
public sealed class MockBatchEndpointsTests : IDisposable
{
    private const string Endpoint = "/v1/chat/completions";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly MockChatServer _server;

    public MockBatchEndpointsTests() => _server = MockChatServer.Start(AnswerWithUsage, _time);

    public void Dispose() => _server.Dispose();

    // ---- OpenAI -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task OpenAIBatch_UploadCreatePollDownload_EveryLineAnsweredBySameResponderWithUsage()
    {
        var ids = Enumerable.Range(0, 10).Select(i => $"r1-{i:D7}").ToArray();
        var client = _server.CreateOpenAIClient();
        var files = client.GetOpenAIFileClient();
        var input = Jsonl(ids.Select((id, i) => OpenAILine(id, $"question {i}")));
        OpenAIFile uploaded = await files.UploadFileAsync(BinaryData.FromString(input), "run-1.jsonl", FileUploadPurpose.Batch);
        var batches = client.GetBatchClient();

        var operation = await batches.CreateBatchAsync(CreateBody(uploaded.Id, new Dictionary<string, string> { ["run"] = "r1", ["chunk"] = "0" }), waitUntilCompleted: false);

        var created = Raw(operation.GetRawResponse());
        Assert.Equal("validating", created.GetProperty("status").GetString());
        Assert.Equal(0, Counts(created).Total);
        Assert.False(operation.HasCompleted);

        Assert.Equal("validating", Status(await operation.UpdateStatusAsync()));
        _server.Batches.Advance(operation.BatchId);
        var running = Raw(await operation.UpdateStatusAsync());
        Assert.Equal("in_progress", Status(running));
        Assert.Equal((10, 0, 0), Counts(running));

        _server.Batches.Process(operation.BatchId, 4);
        Assert.Equal((10, 4, 0), Counts(Raw(await operation.UpdateStatusAsync())));

        _server.Batches.Advance(operation.BatchId);
        var finalizing = Raw(await operation.UpdateStatusAsync());
        Assert.Equal("finalizing", Status(finalizing));
        Assert.Equal((10, 10, 0), Counts(finalizing));
        Assert.False(operation.HasCompleted);

        _server.Batches.Advance(operation.BatchId);
        var completed = Raw(await operation.UpdateStatusAsync());
        Assert.True(operation.HasCompleted);
        Assert.Equal("completed", Status(completed));
        Assert.Equal((10, 10, 0), Counts(completed));
        Assert.Equal(JsonValueKind.Null, completed.GetProperty("error_file_id").ValueKind);
        var job = (BatchJob)await batches.GetBatchAsync(operation.BatchId, options: null);
        Assert.Equal("r1", job.Metadata["run"]);
        Assert.Equal(uploaded.Id, job.InputFileId);
        Assert.NotNull(job.CompletedAt);

        var output = (await files.DownloadFileAsync(job.OutputFileId)).Value.ToString();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(ids.Order(), lines.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        Assert.NotEqual(ids, lines.Select(l => l.GetProperty("custom_id").GetString()!));
        foreach (var line in lines)
        {
            Assert.StartsWith("batch_req_", line.GetProperty("id").GetString());
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.False(string.IsNullOrEmpty(response.GetProperty("request_id").GetString()));
            var completion = ModelReaderWriter.Read<ChatCompletion>(BinaryData.FromString(response.GetProperty("body").GetRawText()))!;
            var n = Array.IndexOf(ids, line.GetProperty("custom_id").GetString());
            Assert.Equal($"answer to question {n}", completion.Content[0].Text);
            Assert.Equal(100 + n, completion.Usage.InputTokenCount);
            Assert.Equal(7, completion.Usage.OutputTokenCount);
        }

        var recorded = _server.Batches.Get(operation.BatchId);
        Assert.Equal(MockBatchState.Completed, recorded.State);
        Assert.Equal(6, recorded.PollCount);
        Assert.Equal(ids, recorded.CustomIds);
        Assert.Equal(lines.Select(l => l.GetProperty("custom_id").GetString()), recorded.ResultOrder);
        Assert.Equal("0", recorded.Metadata["chunk"]);
        Assert.Equal("Bearer mock-key-not-secret", recorded.Headers["Authorization"]);
        Assert.Equal(["batch", "batch_output"], _server.Batches.Files.Select(f => f.Purpose));
        Assert.Equal(input, _server.Batches.Files[0].Text);
        Assert.Equal(10, _server.RequestCount);
        Assert.All(_server.Requests, r => Assert.Equal(operation.BatchId, r.BatchId));
        Assert.Equal(ids.Order(), _server.Requests.Select(r => r.CustomId!).Order());
        Assert.All(_server.Requests, r => Assert.Equal("Be brief.", r.SystemText));
    }

    [Fact]
    public async Task OpenAIBatch_LiveAndBatchedRequests_SameResponderScriptsBoth()
    {
        _server.Responder = request => MockChatReply.Answer("answer to " + request.LastUserText);
        var live = await _server.CreateChatClient().GetResponseAsync("question 1");
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "question 1")]);

        _server.Batches.Complete(operation.BatchId);

        var line = Assert.Single(await DownloadLinesAsync(Job(await operation.UpdateStatusAsync()).OutputFileId));
        var body = line.GetProperty("response").GetProperty("body");
        Assert.Equal(live.Text, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Null(_server.Requests[0].BatchId);
        Assert.Equal("a", _server.Requests[1].CustomId);
    }

    [Fact]
    public async Task OpenAIBatch_ErrorReplies_GoToTheErrorFileWithTheirStatusAndBody()
    {
        _server.Responder = request => request.LastUserText switch
        {
            "bad" => MockChatReply.Error(400, "This request is not valid."),
            "limit" => MockChatReply.RateLimited(),
            "boom" => throw new InvalidOperationException("responder bug"),
            _ => AnswerWithUsage(request),
        };
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("ok-1", "q"), OpenAILine("bad-1", "bad"), OpenAILine("ok-2", "q"), OpenAILine("limit-1", "limit"), OpenAILine("boom-1", "boom")]);

        _server.Batches.Complete(operation.BatchId);

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.Equal("completed", Status(batch));
        Assert.Equal((5, 2, 3), Counts(batch));
        var job = Job(batch);
        Assert.Equal(["ok-1", "ok-2"], (await DownloadLinesAsync(job.OutputFileId)).Select(CustomId).Order());
        var errors = (await DownloadLinesAsync(job.ErrorFileId)).ToDictionary(CustomId);
        Assert.Equal(["bad-1", "boom-1", "limit-1"], errors.Keys.Order());
        Assert.Equal(500, errors["boom-1"].GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Contains("responder bug", errors["boom-1"].GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, errors["bad-1"].GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("This request is not valid.", errors["bad-1"].GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(429, errors["limit-1"].GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, errors["limit-1"].GetProperty("error").ValueKind);
        var recorded = _server.Batches.Get(operation.BatchId);
        Assert.Equal((2, 3), (recorded.Succeeded, recorded.Errored));
    }

    [Fact]
    public async Task OpenAIBatch_EveryReplyAnError_HasNoOutputFile()
    {
        _server.Responder = _ => MockChatReply.Error(500, "down");
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "q"), OpenAILine("b", "q")]);

        _server.Batches.Complete(operation.BatchId);

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.Equal((2, 0, 2), Counts(batch));
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("output_file_id").ValueKind);
        Assert.Equal(2, (await DownloadLinesAsync(Job(batch).ErrorFileId)).Count);
    }

    [Fact]
    public async Task OpenAIBatch_ExpiresPartWay_KeepsTheFinishedLinesAndExpiresTheRest()
    {
        var ids = Enumerable.Range(0, 6).Select(i => $"x{i}").ToArray();
        var (_, operation) = await CreateOpenAIBatchAsync(ids.Select(id => OpenAILine(id, id)));

        var expired = _server.Batches.Expire(operation.BatchId, afterLines: 4);

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.True(operation.HasCompleted);
        Assert.Equal("expired", Status(batch));
        Assert.Equal((6, 4, 2), Counts(batch));
        Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("expired_at").ValueKind);
        var job = Job(batch);
        var finished = (await DownloadLinesAsync(job.OutputFileId)).Select(CustomId).ToArray();
        Assert.Equal(expired.ResultOrder.Take(4), finished);
        var unfinished = await DownloadLinesAsync(job.ErrorFileId);
        Assert.Equal(expired.ResultOrder.Skip(4), unfinished.Select(CustomId));
        Assert.All(unfinished, line =>
        {
            Assert.Equal(JsonValueKind.Null, line.GetProperty("response").ValueKind);
            Assert.Equal("batch_expired", line.GetProperty("error").GetProperty("code").GetString());
        });
        Assert.Equal(4, _server.RequestCount);
        Assert.Equal((4, 2, 0), (expired.Succeeded, expired.Expired, expired.Pending));
    }

    [Fact]
    public async Task OpenAIBatch_CompletionWindowPassesOnTheClock_ExpiresWithWhatFinished()
    {
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "q"), OpenAILine("b", "q"), OpenAILine("c", "q")]);
        _server.Batches.Process(operation.BatchId, 1);

        _time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Equal("in_progress", Status(await operation.UpdateStatusAsync()));
        _time.Advance(TimeSpan.FromSeconds(1));
        var batch = Raw(await operation.UpdateStatusAsync());

        Assert.Equal("expired", Status(batch));
        Assert.Equal((3, 1, 2), Counts(batch));
        Assert.Equal(batch.GetProperty("expires_at").GetInt64(), batch.GetProperty("expired_at").GetInt64());
    }

    [Fact]
    public async Task OpenAIBatch_AutoAdvanceInterval_MovesOneStateEachIntervalOnTheClock()
    {
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(1);
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "q"), OpenAILine("b", "q")]);
        var statuses = new List<string>();

        for (var minute = 0; minute < 4; minute++)
        {
            statuses.Add(Status(await operation.UpdateStatusAsync()));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(["validating", "in_progress", "finalizing", "completed"], statuses);
        Assert.True(operation.HasCompleted);
        var job = Job(await operation.UpdateStatusAsync());
        Assert.Equal(job.CreatedAt.AddMinutes(3), job.CompletedAt);
        Assert.Equal(2, (await DownloadLinesAsync(job.OutputFileId)).Count);
    }

    [Fact]
    public async Task OpenAIBatch_Cancel_CancellingThenCancelledWithTheFinishedLines()
    {
        var (_, operation) = await CreateOpenAIBatchAsync(Enumerable.Range(0, 5).Select(i => OpenAILine($"c{i}", "q")));
        _server.Batches.Process(operation.BatchId, 2);

        var cancelling = Raw(await operation.CancelAsync(options: null));

        Assert.Equal("cancelling", Status(cancelling));
        Assert.NotEqual(JsonValueKind.Null, cancelling.GetProperty("cancelling_at").ValueKind);
        Assert.Equal("cancelling", Status(await operation.UpdateStatusAsync()));
        Assert.False(operation.HasCompleted);
        _server.Batches.Advance(operation.BatchId);
        var cancelled = Raw(await operation.UpdateStatusAsync());
        Assert.True(operation.HasCompleted);
        Assert.Equal("cancelled", Status(cancelled));
        Assert.Equal((5, 2, 0), Counts(cancelled));
        Assert.Equal(2, (await DownloadLinesAsync(Job(cancelled).OutputFileId)).Count);
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("error_file_id").ValueKind);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => operation.CancelAsync(options: null));
        Assert.Equal(409, refused.Status);
        var recorded = _server.Batches.Get(operation.BatchId);
        Assert.Equal(2, recorded.CancelCount);
        Assert.Equal((2, 3, 0), (recorded.Succeeded, recorded.Canceled, recorded.Pending));
    }

    [Fact]
    public async Task OpenAIBatch_InvalidInput_FailsValidationWithEachLineError()
    {
        string[] input =
        [
            OpenAILine("a", "q"),
            "{not json",
            OpenAILine("a", "q"),
            OpenAILine("b", "q", model: "gpt-4o"),
            OpenAILine("c", "q").Replace(Endpoint, "/v1/embeddings", StringComparison.Ordinal),
        ];
        var (_, operation) = await CreateOpenAIBatchAsync(input);

        _server.Batches.Advance(operation.BatchId);

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.True(operation.HasCompleted);
        Assert.Equal("failed", Status(batch));
        Assert.Equal((0, 0, 0), Counts(batch));
        var errors = batch.GetProperty("errors").GetProperty("data").EnumerateArray()
            .Select(e => (e.GetProperty("code").GetString(), e.GetProperty("line").GetInt32())).ToArray();
        Assert.Equal([("invalid_json_line", 2), ("duplicate_custom_id", 3), ("model_mismatch", 4), ("url_mismatch", 5)], errors);
        Assert.Equal(0, _server.RequestCount);
        Assert.Contains("line 2: invalid_json_line: This line is not parseable as valid JSON.", _server.Batches.Get(operation.BatchId).Errors);
    }

    [Fact]
    public async Task OpenAIBatch_Fail_ReportsTheReasonAndNoOutput()
    {
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "q")]);

        _server.Batches.Fail(operation.BatchId, "Enqueued token limit reached.", "token_limit_exceeded");

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.Equal("failed", Status(batch));
        var error = Assert.Single(batch.GetProperty("errors").GetProperty("data").EnumerateArray());
        Assert.Equal("token_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("Enqueued token limit reached.", error.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("output_file_id").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("failed_at").ValueKind);
        Assert.Throws<InvalidOperationException>(() => _server.Batches.Advance(operation.BatchId));
    }

    [Fact]
    public async Task OpenAIBatch_MoreLinesThanTheLimit_FailsWithTooManyTasks()
    {
        _server.Batches.MaxOpenAIRequestsPerFile = 3;
        var (_, operation) = await CreateOpenAIBatchAsync(Enumerable.Range(0, 4).Select(i => OpenAILine($"l{i}", "q")));

        _server.Batches.Advance(operation.BatchId);

        var batch = Raw(await operation.UpdateStatusAsync());
        Assert.Equal("failed", Status(batch));
        var error = Assert.Single(batch.GetProperty("errors").GetProperty("data").EnumerateArray());
        Assert.Equal("too_many_tasks", error.GetProperty("code").GetString());
        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task OpenAIBatch_InputFileOverTheByteLimit_CreateRefusedWith400()
    {
        _server.Batches.MaxOpenAIFileBytes = 200;
        var client = _server.CreateOpenAIClient();
        OpenAIFile file = await client.GetOpenAIFileClient().UploadFileAsync(BinaryData.FromString(Jsonl([OpenAILine("a", "q"), OpenAILine("b", "q")])), "big.jsonl", FileUploadPurpose.Batch);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.GetBatchClient().CreateBatchAsync(CreateBody(file.Id), waitUntilCompleted: false));

        Assert.Equal(400, refused.Status);
        var error = Raw(refused.GetRawResponse()!).GetProperty("error");
        Assert.StartsWith("File is too large", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Empty(_server.Batches.Created);
    }

    [Fact]
    public async Task OpenAIBatch_BadCreateRequests_RefusedWithTheParamAtFault()
    {
        var client = _server.CreateOpenAIClient();
        var batches = client.GetBatchClient();
        OpenAIFile notBatch = await client.GetOpenAIFileClient().UploadFileAsync(BinaryData.FromString("{}"), "notes.jsonl", FileUploadPurpose.Assistants);
        var tooMuchMetadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v");

        var unknownFile = await Assert.ThrowsAsync<ClientResultException>(() => batches.CreateBatchAsync(CreateBody("file-nope"), false));
        var wrongPurpose = await Assert.ThrowsAsync<ClientResultException>(() => batches.CreateBatchAsync(CreateBody(notBatch.Id), false));
        var metadata = await Assert.ThrowsAsync<ClientResultException>(() => batches.CreateBatchAsync(CreateBody(notBatch.Id, tooMuchMetadata), false));
        var window = await Assert.ThrowsAsync<ClientResultException>(() => batches.CreateBatchAsync(
            BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = notBatch.Id, endpoint = Endpoint, completion_window = "1h" })), false));

        Assert.Equal(404, unknownFile.Status);
        Assert.Equal((400, "input_file_id"), (wrongPurpose.Status, Param(wrongPurpose)));
        Assert.Equal((400, "metadata"), (metadata.Status, Param(metadata)));
        Assert.Equal((400, "completion_window"), (window.Status, Param(window)));
        Assert.Empty(_server.Batches.Created);
    }

    [Fact]
    public async Task OpenAIBatches_List_NewestFirstAcrossPages()
    {
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await CreateOpenAIBatchAsync([OpenAILine("a", "q")])).Operation.BatchId);
        }

        var batches = _server.CreateOpenAIClient().GetBatchClient();
        var listed = new List<string>();
        await foreach (var job in batches.GetBatchesAsync(new BatchCollectionOptions { PageSizeLimit = 2 }))
        {
            listed.Add(job.Id);
        }

        var firstPage = Raw((await batches.GetBatchesAsync(after: null, limit: 2, options: null).GetRawPagesAsync().FirstAsync()).GetRawResponse());
        var secondPage = Raw((await batches.GetBatchesAsync(after: created[1], limit: 2, options: null).GetRawPagesAsync().FirstAsync()).GetRawResponse());
        Assert.Equal(Enumerable.Reverse(created), listed);
        Assert.True(firstPage.GetProperty("has_more").GetBoolean());
        Assert.Equal(created[1], firstPage.GetProperty("last_id").GetString());
        Assert.False(secondPage.GetProperty("has_more").GetBoolean());
        Assert.Equal(created[0], Assert.Single(secondPage.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.All(_server.Batches.Created, b => Assert.Equal(0, b.PollCount));
    }

    [Fact]
    public async Task OpenAIBatch_RehydrateFromTheIdAlone_ResumesPolling()
    {
        var (_, operation) = await CreateOpenAIBatchAsync([OpenAILine("a", "q")]);
        _server.Batches.Complete(operation.BatchId);
        var batches = _server.CreateOpenAIClient().GetBatchClient();

        var resumed = await CreateBatchOperation.RehydrateAsync(batches, operation.BatchId);

        Assert.True(resumed.HasCompleted);
        Assert.Equal("completed", Status(resumed.GetRawResponse()));
        Assert.Equal(1, _server.Batches.Get(operation.BatchId).PollCount);
    }

    [Fact]
    public async Task OpenAIFiles_GetDeleteAndUploadChecks_BehaveAsTheFilesApi()
    {
        var files = _server.CreateOpenAIClient().GetOpenAIFileClient();
        OpenAIFile file = await files.UploadFileAsync(BinaryData.FromString(Jsonl([OpenAILine("a", "q")])), "in.jsonl", FileUploadPurpose.Batch);

        OpenAIFile fetched = await files.GetFileAsync(file.Id);
        FileDeletionResult deleted = await files.DeleteFileAsync(file.Id);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => files.GetFileAsync(file.Id));
        var notJsonl = await Assert.ThrowsAsync<ClientResultException>(() => files.UploadFileAsync(BinaryData.FromString("{}"), "in.txt", FileUploadPurpose.Batch));

        Assert.Equal(("in.jsonl", FilePurpose.Batch), (fetched.Filename, fetched.Purpose));
        Assert.Equal(file.SizeInBytesLong, fetched.SizeInBytesLong);
        Assert.True(deleted.Deleted);
        Assert.Equal(404, gone.Status);
        Assert.Equal(400, notJsonl.Status);
        Assert.True(Assert.Single(_server.Batches.Files).IsDeleted);
    }

    // ---- Anthropic ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task AnthropicBatch_CreateRetrieveResults_SucceededErroredAndExpired()
    {
        _server.Responder = request => request.LastUserText == "bad" ? MockChatReply.Error(400, "prompt is too long") : AnswerWithUsage(request);
        _server.Batches.ResultOrderSeed = null;
        var client = CreateAnthropicClient();
        string[] texts = ["question 0", "bad", "question 2", "question 3", "question 4", "question 5"];

        var batch = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = texts.Select((text, i) => AnthropicRequest($"req_{i}", text)).ToArray(),
        });

        Assert.Equal(ProcessingStatus.InProgress, batch.ProcessingStatus.Value());
        Assert.Equal((6L, 0L), (batch.RequestCounts.Processing, batch.RequestCounts.Succeeded));
        Assert.Null(batch.ResultsUrl);
        Assert.Null(batch.EndedAt);
        Assert.Equal(batch.CreatedAt.AddHours(24), batch.ExpiresAt);
        _server.Batches.Process(batch.ID, 4);
        var running = await client.Messages.Batches.Retrieve(batch.ID);
        Assert.Equal((2L, 3L, 1L), (running.RequestCounts.Processing, running.RequestCounts.Succeeded, running.RequestCounts.Errored));
        _server.Batches.Expire(batch.ID);

        var ended = await client.Messages.Batches.Retrieve(batch.ID);
        Assert.Equal(ProcessingStatus.Ended, ended.ProcessingStatus.Value());
        var counts = ended.RequestCounts;
        Assert.Equal((0L, 3L, 1L, 0L, 2L), (counts.Processing, counts.Succeeded, counts.Errored, counts.Canceled, counts.Expired));
        Assert.NotNull(ended.EndedAt);
        Assert.EndsWith($"/v1/messages/batches/{batch.ID}/results", ended.ResultsUrl);

        var results = (await ResultsAsync(client, batch.ID)).ToDictionary(r => r.CustomID, r => r.Result);

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"req_{i}"), results.Keys.Order());
        Assert.True(results["req_1"].TryPickErrored(out var errored));
        Assert.True(errored.Error.Error.TryPickInvalidRequestError(out var invalid));
        Assert.Equal("prompt is too long", invalid.Message);
        foreach (var i in new[] { 0, 2, 3 })
        {
            Assert.True(results[$"req_{i}"].TryPickSucceeded(out var succeeded));
            var message = succeeded.Message;
            Assert.True(message.Content.Single().TryPickText(out var text));
            Assert.Equal($"answer to question {i}", text.Text);
            Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
            Assert.Equal(100 + i, message.Usage.InputTokens);
            Assert.Equal(7, message.Usage.OutputTokens);
            Assert.Equal("claude-test-1", message.Model.Raw());
        }

        Assert.True(results["req_4"].TryPickExpired(out _));
        Assert.True(results["req_5"].TryPickExpired(out _));
        Assert.Equal(4, _server.RequestCount);
        Assert.All(_server.Requests, r => Assert.Equal(("Be brief.", 64, "claude-test-1"), (r.SystemText, r.MaxTokens, r.Model)));
    }

    [Fact]
    public async Task AnthropicBatch_ExpiresPartWay_KeepsTheFinishedResultsAndExpiresTheRest()
    {
        var client = CreateAnthropicClient();
        var batch = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = Enumerable.Range(0, 5).Select(i => AnthropicRequest($"e-{i}", $"question {i}")).ToArray(),
        });
        _server.Batches.Process(batch.ID, 1);
        var partway = await client.Messages.Batches.Retrieve(batch.ID);

        var expired = _server.Batches.Expire(batch.ID, afterLines: 3);

        Assert.Equal((4L, 1L), (partway.RequestCounts.Processing, partway.RequestCounts.Succeeded));
        var ended = await client.Messages.Batches.Retrieve(batch.ID);
        Assert.Equal((0L, 3L, 2L), (ended.RequestCounts.Processing, ended.RequestCounts.Succeeded, ended.RequestCounts.Expired));
        var results = await ResultsAsync(client, batch.ID);
        Assert.Equal(expired.ResultOrder, results.Select(r => r.CustomID));
        Assert.All(results.Take(3), r => Assert.True(r.Result.TryPickSucceeded(out _)));
        Assert.All(results.Skip(3), r => Assert.True(r.Result.TryPickExpired(out _)));
        Assert.Equal(3, _server.RequestCount);
        Assert.Equal(2, _server.Batches.Get(batch.ID).PollCount);
    }

    [Fact]
    public async Task AnthropicBatch_Cancel_CancelingThenEndedWithCanceledRequests_ThenDeleted()
    {
        var client = CreateAnthropicClient();
        var batch = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = Enumerable.Range(0, 4).Select(i => AnthropicRequest($"c-{i}", "q")).ToArray(),
        });
        _server.Batches.Process(batch.ID, 1);

        var canceling = await client.Messages.Batches.Cancel(batch.ID);

        Assert.Equal(ProcessingStatus.Canceling, canceling.ProcessingStatus.Value());
        Assert.NotNull(canceling.CancelInitiatedAt);
        Assert.Null(canceling.EndedAt);
        await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Delete(batch.ID));
        _server.Batches.Advance(batch.ID);
        var ended = await client.Messages.Batches.Retrieve(batch.ID);
        Assert.Equal(ProcessingStatus.Ended, ended.ProcessingStatus.Value());
        Assert.Equal((0L, 1L, 3L), (ended.RequestCounts.Processing, ended.RequestCounts.Succeeded, ended.RequestCounts.Canceled));
        var results = await ResultsAsync(client, batch.ID);
        Assert.Equal(1, results.Count(r => r.Result.TryPickSucceeded(out _)));
        Assert.Equal(3, results.Count(r => r.Result.TryPickCanceled(out _)));
        await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Cancel(batch.ID));

        var deleted = await client.Messages.Batches.Delete(batch.ID);

        Assert.Equal(batch.ID, deleted.ID);
        await Assert.ThrowsAsync<AnthropicNotFoundException>(() => client.Messages.Batches.Retrieve(batch.ID));
        var recorded = _server.Batches.Get(batch.ID);
        Assert.True(recorded.IsDeleted);
        Assert.Equal((MockBatchState.Cancelled, 2), (recorded.State, recorded.CancelCount));
    }

    [Fact]
    public async Task AnthropicBatch_Params_ReachTheResponderAsAChatRequestAndToolCallsComeBackAsToolUse()
    {
        _server.Responder = request => request.ToolResultCount == 0
            ? MockChatReply.CallTools(new MockToolCall("get_weather", """{"city":"Paris"}""")) with { PromptTokens = 30, CompletionTokens = 9 }
            : MockChatReply.Answer("It is sunny in Paris.");
        var client = CreateAnthropicClient();
        var tools = new ToolUnion[] { new Tool { Name = "get_weather", InputSchema = new InputSchema() } };
        var first = new Params
        {
            Model = "claude-test-1",
            MaxTokens = 256,
            System = "You are a weather bot.",
            Tools = tools,
            Messages = [new UserMessageParam("Weather in Paris?")],
        };
        var second = first with
        {
            Messages =
            [
                new UserMessageParam("Weather in Paris?"),
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = "toolu_1", Name = "get_weather", Input = Input("""{"city":"Paris"}""") } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam("toolu_1") { Content = "18 C, clear" } }),
            ],
        };

        var batch = await client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = [new Request { CustomID = "turn-1", Params = first }, new Request { CustomID = "turn-2", Params = second }],
        });
        _server.Batches.Complete(batch.ID);
        var results = (await ResultsAsync(client, batch.ID)).ToDictionary(r => r.CustomID, r => r.Result);

        var asked = _server.Requests.Single(r => r.CustomId == "turn-1");
        Assert.Equal(("claude-test-1", 256, "You are a weather bot.", "Weather in Paris?"), (asked.Model, asked.MaxTokens, asked.SystemText, asked.LastUserText));
        Assert.Equal(["get_weather"], asked.ToolNames);
        Assert.Equal(batch.ID, asked.BatchId);
        var answered = _server.Requests.Single(r => r.CustomId == "turn-2");
        Assert.Equal(1, answered.ToolResultCount);
        Assert.Equal(["system", "user", "assistant", "tool"], answered.Messages.Select(m => m.Role));
        Assert.Equal(["get_weather"], answered.Messages[2].ToolCallNames);
        Assert.Equal(("toolu_1", "18 C, clear"), (answered.Messages[3].ToolCallId, answered.Messages[3].Content));
        Assert.Equal("mock-anthropic-key", asked.ApiKey);
        Assert.True(asked.Headers.ContainsKey("anthropic-version"));

        Assert.True(results["turn-1"].TryPickSucceeded(out var toolTurn));
        Assert.Equal(StopReason.ToolUse, toolTurn.Message.StopReason!.Value());
        Assert.True(toolTurn.Message.Content.Single().TryPickToolUse(out var call));
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Input["city"].GetString());
        Assert.Equal((30L, 9L), (toolTurn.Message.Usage.InputTokens, toolTurn.Message.Usage.OutputTokens));
        Assert.True(results["turn-2"].TryPickSucceeded(out var answer));
        Assert.True(answer.Message.Content.Single().TryPickText(out var text));
        Assert.Equal("It is sunny in Paris.", text.Text);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task AnthropicBatch_CustomIdOutsideThePattern_Refused400(string customId)
    {
        var client = CreateAnthropicClient();

        var refused = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = [AnthropicRequest("ok", "q"), AnthropicRequest(customId, "q")],
        }));

        Assert.Contains("custom_id", refused.ApiMessage, StringComparison.Ordinal);
        Assert.Empty(_server.Batches.Created);
    }

    [Fact]
    public async Task AnthropicBatch_DuplicateCustomId_Refused400()
    {
        var client = CreateAnthropicClient();

        var refused = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = [AnthropicRequest("same", "q"), AnthropicRequest("other", "q"), AnthropicRequest("same", "q")],
        }));

        Assert.Contains("Duplicate custom_id 'same'", refused.ApiMessage, StringComparison.Ordinal);
        Assert.Equal(AnthropicErrorType.InvalidRequestError, refused.Type!.Value());
        Assert.Empty(_server.Batches.Created);
    }

    [Fact]
    public async Task AnthropicBatch_OverTheLimits_RefusedWithTheRealErrorTypes()
    {
        var client = CreateAnthropicClient();
        _server.Batches.MaxAnthropicRequestsPerBatch = 2;

        var tooMany = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = Enumerable.Range(0, 3).Select(i => AnthropicRequest($"n{i}", "q")).ToArray(),
        }));
        _server.Batches.MaxAnthropicRequestsPerBatch = 100;
        _server.Batches.MaxAnthropicBatchBytes = 300;
        var tooBig = await Assert.ThrowsAsync<AnthropicContentTooLargeException>(() => client.Messages.Batches.Create(new BatchCreateParams
        {
            Requests = Enumerable.Range(0, 3).Select(i => AnthropicRequest($"n{i}", new string('q', 100))).ToArray(),
        }));
        var fits = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("n0", "q")] });

        Assert.Contains("at most 2", tooMany.ApiMessage, StringComparison.Ordinal);
        Assert.Equal("request_too_large", tooBig.Type!.Raw());
        Assert.Equal(fits.ID, Assert.Single(_server.Batches.Created).Id);
    }

    [Fact]
    public async Task AnthropicBatch_ResultsBeforeTheEnd_Refused()
    {
        var client = CreateAnthropicClient();
        var batch = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("a", "q")] });

        await Assert.ThrowsAsync<AnthropicBadRequestException>(() => ResultsAsync(client, batch.ID));

        Assert.Equal(0, _server.RequestCount);
    }

    [Fact]
    public async Task AnthropicBatch_OnTheClock_EndsAfterTheIntervalOrExpiresAtTheWindow()
    {
        var client = CreateAnthropicClient();
        var held = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("a", "q")] });
        _server.Batches.AutoAdvanceInterval = TimeSpan.FromMinutes(5);
        var timed = await client.Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("a", "q")] });

        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(ProcessingStatus.InProgress, (await client.Messages.Batches.Retrieve(timed.ID)).ProcessingStatus.Value());
        _time.Advance(TimeSpan.FromMinutes(1));
        var ended = await client.Messages.Batches.Retrieve(timed.ID);
        _server.Batches.AutoAdvanceInterval = null;
        _time.Advance(TimeSpan.FromHours(24));
        var expired = await client.Messages.Batches.Retrieve(held.ID);

        Assert.Equal((ProcessingStatus.Ended, 1L), (ended.ProcessingStatus.Value(), ended.RequestCounts.Succeeded));
        Assert.Equal(timed.CreatedAt.AddMinutes(5), ended.EndedAt);
        Assert.Equal((ProcessingStatus.Ended, 1L), (expired.ProcessingStatus.Value(), expired.RequestCounts.Expired));
        Assert.Equal(held.ExpiresAt, expired.EndedAt);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task AnthropicBatches_List_NewestFirstWithAfterAndBeforeIds()
    {
        var client = CreateAnthropicClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await client.Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("a", "q")] })).ID);
        }

        var first = await client.Messages.Batches.List(new BatchListParams { Limit = 2 });
        var second = await first.Next();
        var after = await client.Messages.Batches.List(new BatchListParams { Limit = 2, AfterID = ids[2] });
        var before = await client.Messages.Batches.List(new BatchListParams { Limit = 2, BeforeID = ids[0] });

        Assert.Equal([ids[2], ids[1]], first.Items.Select(b => b.ID));
        Assert.True(first.HasNext());
        Assert.Equal([ids[0]], second.Items.Select(b => b.ID));
        Assert.False(second.HasNext());
        Assert.Equal([ids[1], ids[0]], after.Items.Select(b => b.ID));
        Assert.Equal([ids[2], ids[1]], before.Items.Select(b => b.ID));
    }

    [Fact]
    public void Batches_UnknownIdOrBadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => _server.Batches.Get("batch_nope"));
        Assert.Throws<ArgumentException>(() => _server.Batches.Advance("batch_nope"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _server.Batches.MaxOpenAIRequestsPerFile = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _server.Batches.AutoAdvanceInterval = TimeSpan.Zero);
        Assert.Empty(_server.Batches.CompleteAll());
    }

    [Fact]
    public async Task CompleteAll_EndsEveryRunningBatchOfBothProviders()
    {
        var (_, openAI) = await CreateOpenAIBatchAsync([OpenAILine("a", "q")]);
        var anthropic = await CreateAnthropicClient().Messages.Batches.Create(new BatchCreateParams { Requests = [AnthropicRequest("a", "q")] });

        var moved = _server.Batches.CompleteAll();

        Assert.Equal([openAI.BatchId, anthropic.ID], moved.Select(b => b.Id));
        Assert.Equal([MockBatchState.Completed, MockBatchState.Completed], _server.Batches.Created.Select(b => b.State));
        Assert.Equal(["completed", "ended"], _server.Batches.Created.Select(b => b.Status));
        Assert.Equal([MockBatchProvider.OpenAI, MockBatchProvider.Anthropic], _server.Batches.Created.Select(b => b.Provider));
        Assert.Equal(2, _server.RequestCount);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>Answers "answer to {question}" with usage the test can check: 100 + the question's number in, 7 out.</summary>
    private static MockChatReply AnswerWithUsage(MockChatRequest request)
    {
        var text = request.LastUserText;
        var number = int.TryParse(text.Split(' ').Last(), out var n) ? n : 0;
        return MockChatReply.Answer("answer to " + text) with { PromptTokens = 100 + number, CompletionTokens = 7 };
    }

    private static string OpenAILine(string customId, string question, string model = "gpt-4o-mini") => JsonSerializer.Serialize(new
    {
        custom_id = customId,
        method = "POST",
        url = Endpoint,
        body = new
        {
            model,
            max_tokens = 64,
            messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = question } },
        },
    });

    private static string Jsonl(IEnumerable<string> lines) => string.Concat(lines.Select(l => l + "\n"));

    private static BinaryContent CreateBody(string fileId, IReadOnlyDictionary<string, string>? metadata = null) =>
        BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = fileId, endpoint = Endpoint, completion_window = "24h", metadata }));

    private async Task<(OpenAI.OpenAIClient Client, CreateBatchOperation Operation)> CreateOpenAIBatchAsync(IEnumerable<string> lines)
    {
        var client = _server.CreateOpenAIClient();
        OpenAIFile file = await client.GetOpenAIFileClient().UploadFileAsync(BinaryData.FromString(Jsonl(lines)), "input.jsonl", FileUploadPurpose.Batch);
        var operation = await client.GetBatchClient().CreateBatchAsync(CreateBody(file.Id), waitUntilCompleted: false);
        return (client, operation);
    }

    private async Task<IReadOnlyList<JsonElement>> DownloadLinesAsync(string fileId)
    {
        var content = (await _server.CreateOpenAIClient().GetOpenAIFileClient().DownloadFileAsync(fileId)).Value.ToString();
        return content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    }

    private static JsonElement Raw(ClientResult result) => Raw(result.GetRawResponse());

    private static JsonElement Raw(PipelineResponse response)
    {
        using var document = JsonDocument.Parse(response.Content);
        return document.RootElement.Clone();
    }

    private static string Status(ClientResult result) => Status(Raw(result));

    private static string Status(PipelineResponse response) => Status(Raw(response));

    private static string Status(JsonElement batch) => batch.GetProperty("status").GetString()!;

    /// <summary>OpenAI's request counts: the 2.14 client's <see cref="BatchJob"/> has no typed member for them.</summary>
    private static (int Total, int Completed, int Failed) Counts(JsonElement batch)
    {
        var counts = batch.GetProperty("request_counts");
        return (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32());
    }

    private static BatchJob Job(ClientResult result) => ModelReaderWriter.Read<BatchJob>(result.GetRawResponse().Content)!;

    private static BatchJob Job(JsonElement batch) => ModelReaderWriter.Read<BatchJob>(BinaryData.FromString(batch.GetRawText()))!;

    private static string CustomId(JsonElement line) => line.GetProperty("custom_id").GetString()!;

    private static string? Param(ClientResultException refused) => Raw(refused.GetRawResponse()!).GetProperty("error").GetProperty("param").GetString();

    private AnthropicClient CreateAnthropicClient() => new(new ClientOptions
    {
        ApiKey = "mock-anthropic-key",
        BaseUrl = _server.Url.ToString(),
        MaxRetries = 0,
        ResponseValidation = true,
    });

    private static Request AnthropicRequest(string customId, string question) => new()
    {
        CustomID = customId,
        Params = new Params
        {
            Model = "claude-test-1",
            MaxTokens = 64,
            System = "Be brief.",
            Messages = [new UserMessageParam(question)],
        },
    };

    private static Dictionary<string, JsonElement> Input(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    private static async Task<List<MessageBatchIndividualResponse>> ResultsAsync(AnthropicClient client, string batchId)
    {
        var results = new List<MessageBatchIndividualResponse>();
        await foreach (var result in client.Messages.Batches.ResultsStreaming(batchId))
        {
            results.Add(result);
        }

        return results;
    }
}
