using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace AgentBatch.Internal;

/// <summary>Sizes a model call before it is sent: its model, its price, its input against the context window, its estimate.</summary>
/// <remarks>One per batch; thread-safe. Lookups a batch repeats on every call (the client's default model, a model's price) are made once.</remarks>
internal sealed class CallEstimator
{
    private readonly BatchOptions _options;
    private readonly bool _batchPrices;
    private readonly ConcurrentDictionary<string, ModelCatalogEntry?> _catalogByModel = new(StringComparer.Ordinal);

    // The last client asked for its default model and the answer, as one object: two clients in one batch must never
    // see each other's model (and so each other's price), which two separately written fields would allow.
    private ClientModel? _lastClient;

    public CallEstimator(BatchOptions options)
    {
        _options = options;
        _batchPrices = options.UsesProviderBatches;
        TokenCounter = options.TokenCounter ?? SharpTokenCounter.Default;
    }

    public ITokenCounter TokenCounter { get; }

    /// <summary>Gets the model a call names, or the client's default one.</summary>
    public string? ModelOf(IChatClient client, ChatOptions? options)
    {
        if (options?.ModelId is { } named)
        {
            return named;
        }

        var last = Volatile.Read(ref _lastClient);
        if (last is null || !ReferenceEquals(last.Client, client))
        {
            last = new ClientModel(client, client.GetService<ChatClientMetadata>()?.DefaultModelId);
            Volatile.Write(ref _lastClient, last);
        }

        return last.Model;
    }

    /// <summary>Gets the price of a model: the batch's <see cref="BatchOptions.Pricing"/>, the catalog's, or <see langword="null"/> when unknown; in the provider batch lane, at the provider's batch price.</summary>
    public ModelPricing? PricingOf(string? modelId)
    {
        var pricing = _options.Pricing ?? CatalogEntryOf(modelId)?.Pricing;
        return _batchPrices ? pricing?.ForProviderBatch() : pricing;
    }

    // The catalogue is a scan of prefixes; a batch asks for the same one or two model ids on every call.
    private ModelCatalogEntry? CatalogEntryOf(string? modelId) =>
        modelId is null ? null : _catalogByModel.GetOrAdd(modelId, static id => ModelCatalog.TryGetEntry(id, out var found) ? found : null);

    /// <summary>Refuses a call whose input cannot fit the model's context window, before anything is sent or reserved.</summary>
    /// <returns>The counted input tokens when the check had to count them (the estimate reuses them), otherwise <see langword="null"/>.</returns>
    /// <exception cref="ContextWindowExceededException">The input is larger than the window.</exception>
    public int? CheckContextWindow(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId)
    {
        var window = _options.MaxInputTokens ?? CatalogEntryOf(modelId)?.ContextWindow ?? 0;
        if (window == 0)
        {
            return null;
        }

        // A token is at least one character, so text no longer than the window in characters always fits: count only
        // beyond that. Anything but text (an image, a tool call or result, tool definitions) has tokens of its own, so
        // a call carrying any is always counted.
        long characters = options?.Instructions?.Length ?? 0;
        var textOnly = options?.Tools is not { Count: > 0 };
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is TextContent text)
                {
                    characters += text.Text.Length;
                }
                else
                {
                    textOnly = false;
                }
            }
        }

        if (textOnly && characters <= window)
        {
            return null;
        }

        var tokens = TokenCounter.CountInputTokens(messages, WithModel(options, modelId));
        return tokens > window ? throw new ContextWindowExceededException(modelId, tokens, window) : tokens;
    }

    /// <summary>Estimates a call at its worst: its counted input plus its output limit, at its price.</summary>
    public CallEstimate Estimate(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId, ModelPricing? pricing, int? countedInput)
    {
        long input = countedInput ?? TokenCounter.CountInputTokens(messages, WithModel(options, modelId));
        long output = options?.MaxOutputTokens is int limit && limit > 0 ? limit : _options.DefaultMaxOutputTokens;
        return new CallEstimate(input, output, pricing);
    }

    /// <summary>The options to count under: the client's default model stands in when the call names none.</summary>
    private static ChatOptions? WithModel(ChatOptions? options, string? modelId) =>
        options?.ModelId is null && modelId is not null
            ? new ChatOptions { ModelId = modelId, Tools = options?.Tools, Instructions = options?.Instructions }
            : options;

    private sealed record ClientModel(IChatClient Client, string? Model);
}
