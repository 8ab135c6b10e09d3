using AgentBatch;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Sockets;
using AgentBatch.Testing;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentBatch.Samples;

/// <summary>
/// The model endpoint a sample talks to: a real OpenAI-compatible one when <c>OPENAI_API_KEY</c> is set, otherwise an
/// embedded <see cref="MockChatServer"/> answering with the sample's scripted model. Either way the sample talks HTTP
/// through the real OpenAI client.
/// </summary>
public sealed class SampleEndpoint : IDisposable
{
    /// <summary>The variable holding the API key; when it is unset the embedded mock is used.</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The variable holding an OpenAI-compatible base URL, such as <c>http://localhost:11434/v1</c> for Ollama.</summary>
    public const string BaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>The variable holding the model id.</summary>
    public const string ModelVariable = "OPENAI_MODEL";

    /// <summary>The model requested when neither a flag nor <c>OPENAI_MODEL</c> names one.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    private static readonly Uri OpenAIEndpoint = new("https://api.openai.com/v1");

    private readonly MockChatServer? _mock;
    private readonly bool _behindProxy;

    private SampleEndpoint(IChatClient chatClient, string model, Uri address, MockChatServer? mock, bool behindProxy = false)
    {
        // The pipeline every call goes through: gen_ai.* spans and metrics from Microsoft.Extensions.AI, exported
        // when the sample runs with --telemetry (and free when nothing listens).
        ChatClient = new ChatClientBuilder(chatClient).UseOpenTelemetry().Build();
        Model = model;
        Address = address;
        _mock = mock;
        _behindProxy = behindProxy;
    }

    /// <summary>Gets the chat client for the agent template.</summary>
    public IChatClient ChatClient { get; }

    /// <summary>Gets the model id requested.</summary>
    public string Model { get; }

    /// <summary>Gets the endpoint's base address, without any user information or query.</summary>
    public Uri Address { get; }

    /// <summary>Gets a value indicating whether this is the embedded mock.</summary>
    public bool IsMock => _mock is not null;

    /// <summary>Gets a one-line description of the endpoint, for the user. It never contains the API key.</summary>
    public string Description => IsMock
        ? $"embedded mock at {Address}, model {Model} (set {ApiKeyVariable} to use a real endpoint)"
        : $"{Address}, model {Model} (API key from {ApiKeyVariable})";

    /// <summary>Opens the endpoint the environment asks for.</summary>
    /// <param name="console">Gives the environment variables.</param>
    /// <param name="model">The model id from the command line, or <see langword="null"/> for <c>OPENAI_MODEL</c> or <see cref="DefaultModel"/>.</param>
    /// <param name="mockModel">The scripted model the embedded mock answers with.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="SampleException"><c>OPENAI_BASE_URL</c> is not an http(s) URL.</exception>
    public static SampleEndpoint Open(SampleConsole console, string? model, Func<MockChatRequest, MockChatReply> mockModel)
    {
        ArgumentNullException.ThrowIfNull(console);
        model = NonEmpty(model) ?? NonEmpty(console.Environment(ModelVariable)) ?? DefaultModel;

        if (NonEmpty(console.Environment(ApiKeyVariable)) is not { } apiKey)
        {
            var mock = MockChatServer.Start(mockModel);
            mock.UsageTokenCounter = SharpTokenCounter.Default;
            return new SampleEndpoint(mock.CreateChatClient(model), model, mock.Endpoint, mock);
        }

        var endpoint = OpenAIEndpoint;
        if (NonEmpty(console.Environment(BaseUrlVariable)) is { } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new SampleException(SampleExitCodes.Usage, $"{BaseUrlVariable} is not an http(s) URL");
        }

        // AgentBatch retries and counts attempts itself: the OpenAI client's own retries are turned off.
        var options = new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0) };
        var client = new OpenAIClient(new ApiKeyCredential(apiKey), options).GetChatClient(model).AsBatchChatClient();
        var behindProxy = NonEmpty(console.Environment("HTTPS_PROXY")) is not null || NonEmpty(console.Environment("ALL_PROXY")) is not null;
        return new SampleEndpoint(client, model, WithoutSecrets(endpoint), mock: null, behindProxy);
    }

    /// <summary>Checks that something listens at a real endpoint's address, so an unreachable one fails at once instead of after every item's retries.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="null"/> when reachable (or behind a proxy, which is not checked); otherwise the reason.</returns>
    public async Task<string?> CheckReachableAsync(CancellationToken cancellationToken)
    {
        if (IsMock || _behindProxy)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(Address.Host, Address.Port, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (SocketException ex)
        {
            return $"cannot reach {Address}: {ex.Message}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"cannot reach {Address}: no answer within 10 s";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ChatClient.Dispose();
        _mock?.Dispose();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static Uri WithoutSecrets(Uri uri) => new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty, Query = string.Empty, Fragment = string.Empty }.Uri;
}
