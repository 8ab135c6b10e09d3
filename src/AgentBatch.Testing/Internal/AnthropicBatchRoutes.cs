using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.ResponseBuilders;

namespace AgentBatch.Testing.Internal;

/// <summary>Anthropic's Message Batches endpoints: <c>/v1/messages/batches</c>.</summary>
internal sealed class AnthropicBatchRoutes
{
    private readonly MockBatchEndpoints _endpoints;

    /// <summary>Initializes a new instance of the <see cref="AnthropicBatchRoutes"/> class.</summary>
    /// <param name="endpoints">The batch endpoints whose store, lifecycle and limits the routes use.</param>
    public AnthropicBatchRoutes(MockBatchEndpoints endpoints) => _endpoints = endpoints;

    /// <summary>Answers one request under <c>/v1/messages/batches</c>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The response.</returns>
    public IResponseMessage Handle(IRequestMessage request)
    {
        var path = MockHttp.Segments(request);
        var method = request.Method.ToUpperInvariant();
        lock (_endpoints.Store.Gate)
        {
            var requestId = _endpoints.Store.NextRequestId();
            if (_endpoints.Refuses(request, out var key))
            {
                return MockHttp.AnthropicError(401, $"invalid x-api-key: {key}", requestId);
            }

            return (method, path) switch
            {
                ("POST", ["messages", "batches"]) => Create(request, requestId),
                ("GET", ["messages", "batches"]) => List(request, requestId),
                ("GET", ["messages", "batches", var id]) => WithBatch(id, requestId, batch =>
                {
                    batch.PollCount++;
                    return Batch(batch, requestId);
                }),
                ("POST", ["messages", "batches", var id, "cancel"]) => WithBatch(id, requestId, batch =>
                    MockBatchLifecycle.RequestCancel(batch, _endpoints.Now)
                        ? Batch(batch, requestId)
                        : MockHttp.AnthropicError(400, $"Message batch {id} has ended; it can no longer be canceled.", requestId)),
                ("GET", ["messages", "batches", var id, "results"]) => WithBatch(id, requestId, batch => batch.IsEnded
                    ? Results(batch)
                    : MockHttp.AnthropicError(400, $"Message batch {id} is still processing; its results are available once it has ended.", requestId)),
                ("DELETE", ["messages", "batches", var id]) => WithBatch(id, requestId, batch =>
                {
                    if (!batch.IsEnded)
                    {
                        return MockHttp.AnthropicError(400, $"Message batch {id} is still processing; cancel it and let it end before deleting it.", requestId);
                    }

                    batch.IsDeleted = true;
                    return MockHttp.Json(200, new JsonObject { ["id"] = batch.Id, ["type"] = "message_batch_deleted" }, "request-id", requestId);
                }),
                _ => MockHttp.AnthropicError(404, $"Not found: {method} {request.Path}", requestId),
            };
        }
    }

    private ResponseMessage Create(IRequestMessage request, string requestId)
    {
        var bytes = request.BodyAsBytes?.LongLength ?? Encoding.UTF8.GetByteCount(request.Body ?? string.Empty);
        var maxBytes = _endpoints.MaxAnthropicBatchBytes;
        if (bytes > maxBytes)
        {
            return MockHttp.AnthropicError(413, string.Create(CultureInfo.InvariantCulture, $"Request exceeds the maximum allowed number of bytes: {bytes} bytes, and a message batch can be at most {maxBytes}."), requestId);
        }

        var body = MockJson.ParseObject(request.Body);
        if (body is null)
        {
            return MockHttp.AnthropicError(400, "The request body is not valid JSON.", requestId);
        }

        var (lines, error) = AnthropicBatchJson.ReadRequests(body, _endpoints.MaxAnthropicRequestsPerBatch);
        if (lines is null)
        {
            return MockHttp.AnthropicError(400, error!, requestId);
        }

        var (ordinal, id) = _endpoints.Store.NextBatchId("msgbatch_mock_");
        var batch = new MockBatchRecord(
            ordinal,
            id,
            MockBatchProvider.Anthropic,
            _endpoints.Now,
            MockBatchState.InProgress,
            MockChatServer.FirstValues(request.Headers),
            lines,
            MockBatchStore.RunOrder(lines.Count, _endpoints.ResultOrderSeed, ordinal));
        _endpoints.Store.AddBatch(batch);
        return Batch(batch, requestId);
    }

    private ResponseMessage List(IRequestMessage request, string requestId)
    {
        if (MockHttp.Limit(request, fallback: 20, max: 1000) is not { } limit)
        {
            return MockHttp.AnthropicError(400, "limit: Input should be an integer from 1 to 1000", requestId);
        }

        var newestFirst = _endpoints.Store.Batches
            .Where(b => b.Provider == MockBatchProvider.Anthropic && !b.IsDeleted)
            .OrderByDescending(b => b.Ordinal)
            .ToList();
        var afterId = MockHttp.Query(request, "after_id");
        var beforeId = MockHttp.Query(request, "before_id");
        int start;
        int end;
        if (beforeId is not null)
        {
            end = newestFirst.FindIndex(b => b.Id == beforeId);
            start = Math.Max(0, end - limit);
        }
        else
        {
            start = afterId is null ? 0 : newestFirst.FindIndex(b => b.Id == afterId) + 1;
            end = Math.Min(newestFirst.Count, start + limit);
        }

        if ((beforeId is not null && end < 0) || (afterId is not null && beforeId is null && start == 0))
        {
            return MockHttp.AnthropicError(404, $"No message batch with id '{beforeId ?? afterId}'.", requestId);
        }

        var page = newestFirst.GetRange(start, end - start);
        foreach (var batch in page)
        {
            _endpoints.CatchUp(batch);
        }

        var hasMore = beforeId is not null ? start > 0 : end < newestFirst.Count;
        return MockHttp.Json(
            200,
            new JsonObject
            {
                ["data"] = new JsonArray(page.Select(b => (JsonNode)AnthropicBatchJson.Batch(b, _endpoints.BaseUrl)).ToArray()),
                ["has_more"] = hasMore,
                ["first_id"] = page.FirstOrDefault()?.Id,
                ["last_id"] = page.LastOrDefault()?.Id,
            },
            "request-id",
            requestId);
    }

    private ResponseMessage Batch(MockBatchRecord batch, string requestId) =>
        MockHttp.Json(200, AnthropicBatchJson.Batch(batch, _endpoints.BaseUrl), "request-id", requestId);

    private static ResponseMessage Results(MockBatchRecord batch)
    {
        var text = new StringBuilder();
        foreach (var line in batch.Order.Select(i => batch.Lines[i]).Where(l => l.Result is not null))
        {
            text.Append(line.Result!.ToJsonString()).Append('\n');
        }

        return MockHttp.Bytes(BinaryData.FromString(text.ToString()), "application/binary");
    }

    private ResponseMessage WithBatch(string id, string requestId, Func<MockBatchRecord, ResponseMessage> respond)
    {
        if (_endpoints.Store.FindBatch(id) is not { Provider: MockBatchProvider.Anthropic, IsDeleted: false } batch)
        {
            return MockHttp.AnthropicError(404, $"No message batch with id '{id}'.", requestId);
        }

        _endpoints.CatchUp(batch);
        return respond(batch);
    }
}
