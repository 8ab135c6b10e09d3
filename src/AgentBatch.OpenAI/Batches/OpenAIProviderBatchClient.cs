using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

#pragma warning disable OPENAI001 // The OpenAI client's batch and file clients are experimental in 2.14.

namespace AgentBatch;

/// <summary>OpenAI's (and Azure OpenAI's) Batch API for AgentBatch's provider batch lane, through the official client's file and batch clients.</summary>
/// <remarks>
/// <para>
/// A request is the body the Microsoft.Extensions.AI OpenAI chat client sends for the call, recorded without sending it
/// (<see cref="OfflineChatTransport"/>), so messages, tools, response formats and options go out exactly as a live call's.
/// A batch is a JSONL file uploaded with purpose <c>batch</c> and a batch created for it (<c>completion_window</c> 24 h),
/// tagged with metadata <c>agentbatch_submission</c> (the submission's key, which <see cref="FindSubmittedAsync"/> looks for)
/// and <c>agentbatch_run</c>. Status and counts are read from the batch's JSON (the 2.14 client's <see cref="BatchJob"/> has
/// no typed member for them). Each line of the output and error files is read by the same chat client as a live reply:
/// a success becomes its <see cref="ChatResponse"/>, an error status the <see cref="ClientResultException"/> a live call
/// would throw, so the batch classifies, retries and redacts it the same way.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class OpenAIProviderBatchClient : ProviderBatchClient, IDisposable
{
    private const string SubmissionKey = "agentbatch_submission";
    private const string RunKey = "agentbatch_run";
    private const int MaxMetadataValue = 512;

    // A 200 reply the chat client reads without error, so that recording a request costs no exception.
    private static readonly byte[] Placeholder = Encoding.UTF8.GetBytes(
        """{"id":"offline","object":"chat.completion","created":0,"model":"offline","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}""");

    // What replays a result line: the line's body answers it, whatever was asked.
    private static readonly ChatMessage[] ReplayMessages = [new(ChatRole.User, ".")];

    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;
    private readonly OpenAIProviderBatchOptions _options;
    private readonly OfflineChatTransport _transport = new();
    private readonly OpenAIClient _offline;
    private readonly ConcurrentDictionary<string, IChatClient> _chatClients = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="OpenAIProviderBatchClient"/> class.</summary>
    /// <param name="client">The OpenAI (or Azure OpenAI) client whose account the batches run on; build it with <c>RetryPolicy = new ClientRetryPolicy(0)</c>.</param>
    /// <param name="options">The endpoint and limits; <see langword="null"/> for OpenAI's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range: an endpoint that does not start with <c>/</c>, or a limit below 1.</exception>
    public OpenAIProviderBatchClient(OpenAIClient client, OpenAIProviderBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options ?? new OpenAIProviderBatchOptions();
        if (string.IsNullOrWhiteSpace(_options.Endpoint) || !_options.Endpoint.StartsWith('/'))
        {
            throw new ArgumentException($"OpenAIProviderBatchOptions.Endpoint must be a path such as '{OpenAIProviderBatchOptions.DefaultEndpoint}'; it is '{_options.Endpoint}'.", nameof(options));
        }

        Limits = new ProviderBatchLimits(_options.MaxRequestsPerBatch, _options.MaxBytesPerBatch);
        _files = client.GetOpenAIFileClient();
        _batches = client.GetBatchClient();
        _offline = new OpenAIClient(new ApiKeyCredential("offline"), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://offline.agentbatch.invalid/v1"),
            Transport = new HttpClientPipelineTransport(_transport.HttpClient),
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
    }

    /// <inheritdoc />
    public override string ProviderName => "OpenAI";

    /// <inheritdoc />
    public override ProviderBatchLimits Limits { get; }

    /// <inheritdoc />
    public override ModelFaultClassifier? FaultClassifier => OpenAIFaultClassifier.Default;

    /// <inheritdoc />
    public override async ValueTask<ProviderBatchRequest> CreateRequestAsync(
        string customId, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customId);
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(messages);
        var chat = ChatClientFor(modelId);
        var recorded = await _transport.RecordRequestAsync(token => chat.GetResponseAsync(messages, options, token), Placeholder, cancellationToken).ConfigureAwait(false);

        // One line of JSONL: the client writes schemas indented, so the body is written again, compact.
        using var document = JsonDocument.Parse(recorded);
        var body = JsonSerializer.SerializeToUtf8Bytes(document.RootElement);
        var envelope = 60 + customId.Length + _options.Endpoint.Length;
        return new ProviderBatchRequest(customId, options?.ModelId ?? modelId, body, body.Length + envelope);
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> SubmitAsync(ProviderBatchSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        using var content = Jsonl(submission).ToStream();
        OpenAIFile file = await _files.UploadFileAsync(content, $"agentbatch-{submission.Key}.jsonl", FileUploadPurpose.Batch, cancellationToken).ConfigureAwait(false);
        var metadata = new Dictionary<string, string> { [SubmissionKey] = submission.Key };
        if (submission.RunId is { } runId)
        {
            metadata[RunKey] = runId.Length <= MaxMetadataValue ? runId : runId[..MaxMetadataValue];
        }

        var create = BinaryContent.Create(BinaryData.FromObjectAsJson(new Dictionary<string, object>
        {
            ["input_file_id"] = file.Id,
            ["endpoint"] = _options.Endpoint,
            ["completion_window"] = "24h",
            ["metadata"] = metadata,
        }));
        var operation = await _batches.CreateBatchAsync(create, waitUntilCompleted: false, Options(cancellationToken)).ConfigureAwait(false);
        return OpenAIBatchJson.Status(operation.GetRawResponse().Content);
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        var result = await _batches.GetBatchAsync(batchId, Options(cancellationToken)).ConfigureAwait(false);
        return OpenAIBatchJson.Status(result.GetRawResponse().Content);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ProviderBatchResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        var batch = (await _batches.GetBatchAsync(batchId, Options(cancellationToken)).ConfigureAwait(false)).GetRawResponse().Content;
        foreach (var fileId in OpenAIBatchJson.ResultFiles(batch))
        {
            var content = (await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false)).Value;
            foreach (var line in OpenAIBatchJson.Lines(content))
            {
                yield return await ReadLineAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        var operation = await CreateBatchOperation.RehydrateAsync(_batches, batchId, cancellationToken).ConfigureAwait(false);
        var result = await operation.CancelAsync(Options(cancellationToken)).ConfigureAwait(false);
        return OpenAIBatchJson.Status(result.GetRawResponse().Content);
    }

    /// <inheritdoc />
    /// <remarks>Lists the account's batches, newest first, down to <paramref name="submittedAfter"/>, for one whose <c>agentbatch_submission</c> metadata is the key.</remarks>
    public override async Task<string?> FindSubmittedAsync(string submissionKey, DateTimeOffset submittedAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submissionKey);
        await foreach (var page in _batches.GetBatchesAsync(after: null, limit: 100, Options(cancellationToken)).GetRawPagesAsync().ConfigureAwait(false))
        {
            var (found, older) = OpenAIBatchJson.FindByMetadata(page.GetRawResponse().Content, SubmissionKey, submissionKey, submittedAfter);
            if (found is not null || older)
            {
                return found;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public void Dispose() => _transport.Dispose();

    private static RequestOptions Options(CancellationToken cancellationToken) => new() { CancellationToken = cancellationToken };

    private IChatClient ChatClientFor(string modelId) => _chatClients.GetOrAdd(modelId, static (model, offline) => offline.GetChatClient(model).AsIChatClient(), _offline);

    /// <summary>The submission's requests as an input file: one line each, <c>{"custom_id", "method", "url", "body"}</c>.</summary>
    private BinaryData Jsonl(ProviderBatchSubmission submission)
    {
        var buffer = new MemoryStream();
        foreach (var request in submission.Requests)
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("custom_id", request.CustomId);
                writer.WriteString("method", "POST");
                writer.WriteString("url", _options.Endpoint);
                writer.WritePropertyName("body");
                writer.WriteRawValue(request.Body.Span, skipInputValidation: true);
                writer.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
        }

        return new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Reads one output or error line as a live call reads its reply: a reply, the error a live call throws, or a request that never ran.</summary>
    private async Task<ProviderBatchResult> ReadLineAsync(OpenAIBatchJson.ResultLine line, CancellationToken cancellationToken)
    {
        if (line.StatusCode is not { } status)
        {
            return line.ErrorCode switch
            {
                "batch_expired" => ProviderBatchResult.NotRun(line.CustomId, ProviderBatchOutcome.Expired),
                "batch_cancelled" => ProviderBatchResult.NotRun(line.CustomId, ProviderBatchOutcome.Canceled),
                _ => ProviderBatchResult.Errored(line.CustomId, new ProviderBatchItemException($"The provider failed the request: {line.ErrorCode ?? "error"}: {line.ErrorMessage ?? "no message"}.")),
            };
        }

        var chat = ChatClientFor(line.Model ?? "offline");
        try
        {
            var response = await _transport.ReplayAsync(token => chat.GetResponseAsync(ReplayMessages, null, token), status, line.Body, cancellationToken).ConfigureAwait(false);
            return ProviderBatchResult.Succeeded(line.CustomId, response);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Read as the live client reads it: an error status is its ClientResultException; a body it cannot read, its own error.
            return ProviderBatchResult.Errored(line.CustomId, ex);
        }
    }
}
