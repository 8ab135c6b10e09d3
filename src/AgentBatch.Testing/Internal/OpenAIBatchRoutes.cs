using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.ResponseBuilders;

namespace AgentBatch.Testing.Internal;

/// <summary>OpenAI's file and batch endpoints: <c>/v1/files</c> and <c>/v1/batches</c>.</summary>
internal sealed class OpenAIBatchRoutes
{
    private const int MaxMetadataPairs = 16;
    private const int MaxMetadataKeyLength = 64;
    private const int MaxMetadataValueLength = 512;
    private static readonly string[] Purposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

    private readonly MockBatchEndpoints _endpoints;

    /// <summary>Initializes a new instance of the <see cref="OpenAIBatchRoutes"/> class.</summary>
    /// <param name="endpoints">The batch endpoints whose store, lifecycle and limits the routes use.</param>
    public OpenAIBatchRoutes(MockBatchEndpoints endpoints) => _endpoints = endpoints;

    /// <summary>Answers one request under <c>/v1/files</c> or <c>/v1/batches</c>.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The response.</returns>
    public IResponseMessage Handle(IRequestMessage request)
    {
        var path = MockHttp.Segments(request);
        var method = request.Method.ToUpperInvariant();
        lock (_endpoints.Store.Gate)
        {
            if (_endpoints.Refuses(request, out var key))
            {
                return MockHttp.OpenAIError(401, $"Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com/account/api-keys.", code: "invalid_api_key");
            }

            return (method, path) switch
            {
                ("POST", ["files"]) => Upload(request),
                ("GET", ["files"]) => ListFiles(request),
                ("GET", ["files", var id]) => WithFile(id, file => MockHttp.Json(200, OpenAIBatchJson.File(file))),
                ("GET", ["files", var id, "content"]) => WithFile(id, file => MockHttp.Bytes(file.Content, "application/octet-stream")),
                ("DELETE", ["files", var id]) => WithFile(id, file =>
                {
                    _endpoints.Store.DeleteFile(file.Id);
                    return MockHttp.Json(200, new JsonObject { ["id"] = file.Id, ["object"] = "file", ["deleted"] = true });
                }),
                ("POST", ["batches"]) => Create(request),
                ("GET", ["batches"]) => ListBatches(request),
                ("GET", ["batches", var id]) => WithBatch(id, batch =>
                {
                    batch.PollCount++;
                    return MockHttp.Json(200, OpenAIBatchJson.Batch(batch));
                }),
                ("POST", ["batches", var id, "cancel"]) => WithBatch(id, batch =>
                    MockBatchLifecycle.RequestCancel(batch, _endpoints.Now)
                        ? MockHttp.Json(200, OpenAIBatchJson.Batch(batch))
                        : MockHttp.OpenAIError(409, $"Cannot cancel a batch with status '{MockBatchLifecycle.WireStatus(batch)}'.")),
                _ => MockHttp.OpenAIError(404, $"Invalid URL ({method} {request.Path})", code: "unknown_url"),
            };
        }
    }

    private ResponseMessage Upload(IRequestMessage request)
    {
        MockChatServer.FirstValues(request.Headers).TryGetValue("Content-Type", out var contentType);
        var parts = MultipartForm.Parse(request.BodyAsBytes, contentType);
        if (parts is null)
        {
            return MockHttp.OpenAIError(400, "The file upload must be sent as multipart/form-data.");
        }

        var purpose = parts.FirstOrDefault(p => p.Name == "purpose") is { } purposePart ? Encoding.UTF8.GetString(purposePart.Content).Trim() : null;
        var filePart = parts.FirstOrDefault(p => p.Name == "file" && p.FileName is not null);
        if (purpose is null)
        {
            return MockHttp.OpenAIError(400, "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter");
        }

        if (!Purposes.Contains(purpose, StringComparer.Ordinal))
        {
            return MockHttp.OpenAIError(400, $"Invalid value for 'purpose': '{purpose}'.", "purpose", "invalid_value");
        }

        if (filePart is null)
        {
            return MockHttp.OpenAIError(400, "Missing required parameter: 'file'.", "file", "missing_required_parameter");
        }

        if (purpose == "batch" && !filePart.FileName!.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return MockHttp.OpenAIError(400, "Invalid file format for Batch API. Must be .jsonl", "file");
        }

        var file = _endpoints.Store.AddFile(id => new MockBatchFile(id, filePart.FileName!, purpose, BinaryData.FromBytes(filePart.Content), _endpoints.Now, batchId: null));
        return MockHttp.Json(200, OpenAIBatchJson.File(file));
    }

    private ResponseMessage ListFiles(IRequestMessage request)
    {
        var purpose = MockHttp.Query(request, "purpose");
        var files = _endpoints.Store.Files.Where(f => !f.IsDeleted && (purpose is null || f.Purpose == purpose)).Reverse();
        return MockHttp.Json(200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(files.Select(f => (JsonNode)OpenAIBatchJson.File(f)).ToArray()),
            ["has_more"] = false,
        });
    }

    private ResponseMessage Create(IRequestMessage request)
    {
        var body = MockJson.ParseObject(request.Body);
        if (body is null)
        {
            return MockHttp.OpenAIError(400, "We could not parse the JSON body of your request.");
        }

        var inputFileId = MockJson.StringOf(body["input_file_id"]);
        var endpoint = MockJson.StringOf(body["endpoint"]);
        var window = MockJson.StringOf(body["completion_window"]);
        if (inputFileId is null)
        {
            return MockHttp.OpenAIError(400, "Missing required parameter: 'input_file_id'.", "input_file_id", "missing_required_parameter");
        }

        if (endpoint is null)
        {
            return MockHttp.OpenAIError(400, "Missing required parameter: 'endpoint'.", "endpoint", "missing_required_parameter");
        }

        if (endpoint != OpenAIBatchJson.ChatCompletionsEndpoint)
        {
            return MockHttp.OpenAIError(400, $"Invalid value for 'endpoint': '{endpoint}'. The mock server runs batches for '{OpenAIBatchJson.ChatCompletionsEndpoint}' only.", "endpoint", "invalid_value");
        }

        if (window != "24h")
        {
            return MockHttp.OpenAIError(400, $"Invalid value for 'completion_window': '{window}'. Supported values are: '24h'.", "completion_window", "invalid_value");
        }

        var (metadata, metadataError) = ReadMetadata(body["metadata"]);
        if (metadataError is not null)
        {
            return MockHttp.OpenAIError(400, metadataError, "metadata", "invalid_value");
        }

        var file = _endpoints.Store.FindFile(inputFileId);
        if (file is null)
        {
            return MockHttp.OpenAIError(404, $"No such File object: {inputFileId}", "input_file_id");
        }

        if (file.Purpose != "batch")
        {
            return MockHttp.OpenAIError(400, $"File {inputFileId} has purpose '{file.Purpose}'; a batch's input file must have purpose 'batch'.", "input_file_id");
        }

        var maxBytes = _endpoints.MaxOpenAIFileBytes;
        if (file.Bytes > maxBytes)
        {
            return MockHttp.OpenAIError(400, string.Create(CultureInfo.InvariantCulture, $"File is too large: {file.Bytes} bytes, and a batch input file can be at most {maxBytes} bytes."), "input_file_id");
        }

        var (lines, errors, model) = OpenAIBatchJson.ReadInput(file.Text, endpoint, _endpoints.MaxOpenAIRequestsPerFile);
        var (ordinal, id) = _endpoints.Store.NextBatchId("batch_mock_");
        var batch = new MockBatchRecord(
            ordinal,
            id,
            MockBatchProvider.OpenAI,
            _endpoints.Now,
            MockBatchState.Validating,
            MockChatServer.FirstValues(request.Headers),
            lines,
            MockBatchStore.RunOrder(lines.Count, _endpoints.ResultOrderSeed, ordinal))
        {
            Metadata = metadata,
            Endpoint = endpoint,
            CompletionWindow = window,
            InputFileId = inputFileId,
            Model = model,
            InputErrors = errors,
        };
        _endpoints.Store.AddBatch(batch);
        return MockHttp.Json(200, OpenAIBatchJson.Batch(batch));
    }

    private ResponseMessage ListBatches(IRequestMessage request)
    {
        if (MockHttp.Limit(request, fallback: 20, max: 100) is not { } limit)
        {
            return MockHttp.OpenAIError(400, "Invalid 'limit': expected an integer from 1 to 100.", "limit", "invalid_value");
        }

        var newestFirst = _endpoints.Store.Batches.Where(b => b.Provider == MockBatchProvider.OpenAI).OrderByDescending(b => b.Ordinal).ToList();
        var after = MockHttp.Query(request, "after");
        var start = after is null ? 0 : newestFirst.FindIndex(b => b.Id == after) + 1;
        if (after is not null && start == 0)
        {
            return MockHttp.OpenAIError(404, $"No batch found with id '{after}'.", "after");
        }

        var page = newestFirst.Skip(start).Take(limit).ToList();
        foreach (var batch in page)
        {
            _endpoints.CatchUp(batch);
        }

        return MockHttp.Json(200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(page.Select(b => (JsonNode)OpenAIBatchJson.Batch(b)).ToArray()),
            ["first_id"] = page.FirstOrDefault()?.Id,
            ["last_id"] = page.LastOrDefault()?.Id,
            ["has_more"] = start + page.Count < newestFirst.Count,
        });
    }

    private ResponseMessage WithFile(string id, Func<MockBatchFile, ResponseMessage> respond) =>
        _endpoints.Store.FindFile(id) is { } file ? respond(file) : MockHttp.OpenAIError(404, $"No such File object: {id}", "id");

    private ResponseMessage WithBatch(string id, Func<MockBatchRecord, ResponseMessage> respond)
    {
        if (_endpoints.Store.FindBatch(id) is not { Provider: MockBatchProvider.OpenAI } batch)
        {
            return MockHttp.OpenAIError(404, $"No batch found with id '{id}'.", "batch_id");
        }

        _endpoints.CatchUp(batch);
        return respond(batch);
    }

    private static (IReadOnlyDictionary<string, string> Metadata, string? Error) ReadMetadata(JsonNode? node)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return (metadata, null);
        }

        if (node is not JsonObject pairs)
        {
            return (metadata, "Invalid type for 'metadata': expected an object.");
        }

        if (pairs.Count > MaxMetadataPairs)
        {
            return (metadata, string.Create(CultureInfo.InvariantCulture, $"Invalid 'metadata': too many properties. Expected an object with at most {MaxMetadataPairs} properties, but got an object with {pairs.Count} properties instead."));
        }

        foreach (var (key, value) in pairs)
        {
            if (key.Length > MaxMetadataKeyLength)
            {
                return (metadata, string.Create(CultureInfo.InvariantCulture, $"Invalid 'metadata': the key '{key}' is longer than {MaxMetadataKeyLength} characters."));
            }

            if (MockJson.StringOf(value) is not { } text)
            {
                return (metadata, $"Invalid type for 'metadata.{key}': expected a string.");
            }

            if (text.Length > MaxMetadataValueLength)
            {
                return (metadata, string.Create(CultureInfo.InvariantCulture, $"Invalid 'metadata.{key}': the value is longer than {MaxMetadataValueLength} characters."));
            }

            metadata[key] = text;
        }

        return (metadata, null);
    }
}
