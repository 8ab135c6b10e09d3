using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages.Batches;
using Microsoft.Extensions.AI;
using AgentBatch.Internal;
using ClientOptions = Anthropic.Core.ClientOptions;

namespace AgentBatch;

/// <summary>Anthropic's Message Batches for AgentBatch's provider batch lane, through the official client's <c>Messages.Batches</c>.</summary>
/// <remarks>
/// <para>
/// A request's <c>params</c> are the body the official client's own <see cref="IChatClient"/> (<c>AsIChatClient(model)</c>)
/// sends to <c>/v1/messages</c> for the call, recorded without sending it (<see cref="OfflineChatTransport"/>), so system
/// prompt, messages, tool use and results, tools and options go out as a live call's. A batch is one
/// <c>Messages.Batches.Create</c>; status and counts come from <c>Retrieve</c>; results from <c>ResultsStreaming</c>, each read
/// by the same chat client as a live reply: a succeeded message becomes its <see cref="ChatResponse"/>, an errored one the
/// exception the client throws for that error on a live call (its status from the error's type), so the batch classifies,
/// retries and redacts it the same way.
/// </para>
/// <para>
/// Anthropic batches carry no metadata, so <see cref="ProviderBatchClient.FindSubmittedAsync"/> cannot find a batch whose id
/// a run never saved: a run stopped between creating a batch and saving its id submits that batch again when restarted
/// (its requests are paid twice; the results of the second batch are used). Thread-safe.
/// </para>
/// </remarks>
public sealed class AnthropicProviderBatchClient : ProviderBatchClient, IDisposable
{
    // A 200 reply the chat client reads without error, so that recording a request costs no exception.
    private static readonly byte[] Placeholder = Encoding.UTF8.GetBytes(
        """{"id":"msg_offline","type":"message","role":"assistant","model":"offline","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}""");

    private static readonly ChatMessage[] ReplayMessages = [new(ChatRole.User, ".")];

    private readonly IAnthropicClient _client;
    private readonly AnthropicProviderBatchOptions _options;
    private readonly OfflineChatTransport _transport = new();
    private readonly AnthropicClient _offline;
    private readonly ConcurrentDictionary<string, IChatClient> _chatClients = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="AnthropicProviderBatchClient"/> class.</summary>
    /// <param name="client">The Anthropic client whose account the batches run on; build it with <c>MaxRetries = 0</c>.</param>
    /// <param name="options">The limits; <see langword="null"/> for Anthropic's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1.</exception>
    public AnthropicProviderBatchClient(IAnthropicClient client, AnthropicProviderBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new AnthropicProviderBatchOptions();
        Limits = new ProviderBatchLimits(_options.MaxRequestsPerBatch, _options.MaxBytesPerBatch);
        _offline = new AnthropicClient(new ClientOptions
        {
            ApiKey = "offline",
            BaseUrl = "http://offline.agentbatch.invalid",
            HttpClient = _transport.HttpClient,
            MaxRetries = 0,
        });
    }

    /// <inheritdoc />
    public override string ProviderName => "Anthropic";

    /// <inheritdoc />
    public override ProviderBatchLimits Limits { get; }

    /// <inheritdoc />
    public override ModelFaultClassifier? FaultClassifier => AnthropicFaultClassifier.Default;

    /// <inheritdoc />
    public override async ValueTask<ProviderBatchRequest> CreateRequestAsync(
        string customId, string modelId, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customId);
        ArgumentNullException.ThrowIfNull(modelId);
        ArgumentNullException.ThrowIfNull(messages);
        var chat = ChatClientFor(options?.ModelId ?? modelId);
        var recorded = await _transport.RecordRequestAsync(token => chat.GetResponseAsync(messages, options, token), Placeholder, cancellationToken).ConfigureAwait(false);
        var body = AnthropicBatchJson.Params(recorded);

        // {"custom_id":"...","params":...}, in the create request's "requests" array.
        var envelope = 32 + customId.Length;
        return new ProviderBatchRequest(customId, options?.ModelId ?? modelId, body, body.Length + envelope);
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> SubmitAsync(ProviderBatchSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var requests = submission.Requests.Select(static r => Request.FromRawUnchecked(AnthropicBatchJson.RequestData(r.CustomId, r.Body))).ToArray();
        var batch = await _client.Messages.Batches.Create(new BatchCreateParams { Requests = requests }, cancellationToken).ConfigureAwait(false);
        return AnthropicBatchJson.Status(batch);
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        return AnthropicBatchJson.Status(await _client.Messages.Batches.Retrieve(batchId, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ProviderBatchResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        await foreach (var line in _client.Messages.Batches.ResultsStreaming(batchId, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return await ReadAsync(line, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<ProviderBatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        return AnthropicBatchJson.Status(await _client.Messages.Batches.Cancel(batchId, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public void Dispose() => _transport.Dispose();

    private IChatClient ChatClientFor(string modelId) =>
        _chatClients.GetOrAdd(modelId, static (model, self) => self._offline.AsIChatClient(model, self._options.DefaultMaxOutputTokens), this);

    /// <summary>Reads one result as a live call reads its reply: a reply, the error a live call throws, or a request that never ran.</summary>
    private async Task<ProviderBatchResult> ReadAsync(MessageBatchIndividualResponse line, CancellationToken cancellationToken)
    {
        var result = line.Result;
        if (result.TryPickCanceled(out _))
        {
            return ProviderBatchResult.NotRun(line.CustomID, ProviderBatchOutcome.Canceled);
        }

        if (result.TryPickExpired(out _))
        {
            return ProviderBatchResult.NotRun(line.CustomID, ProviderBatchOutcome.Expired);
        }

        int status;
        byte[] body;
        string model;
        if (result.TryPickSucceeded(out var succeeded))
        {
            (status, body, model) = (200, JsonSerializer.SerializeToUtf8Bytes(succeeded.Message.RawData), succeeded.Message.Model.Raw());
        }
        else if (result.TryPickErrored(out var errored))
        {
            (status, body, model) = (AnthropicBatchJson.StatusOf(errored.Error), JsonSerializer.SerializeToUtf8Bytes(errored.Error.RawData), "offline");
        }
        else
        {
            return ProviderBatchResult.Errored(line.CustomID, new ProviderBatchItemException($"The batch result of request {line.CustomID} is of a type this client does not know."));
        }

        var chat = ChatClientFor(model);
        try
        {
            var response = await _transport.ReplayAsync(token => chat.GetResponseAsync(ReplayMessages, null, token), status, body, cancellationToken).ConfigureAwait(false);
            return ProviderBatchResult.Succeeded(line.CustomID, response);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ProviderBatchResult.Errored(line.CustomID, ex);
        }
    }
}
