using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SharpToken;

namespace AgentBatch;

/// <summary>An <see cref="ITokenCounter"/> on SharpToken's embedded OpenAI encodings (works offline).</summary>
/// <remarks>
/// <para>
/// The encoding follows the model id, as <see cref="ModelCatalog"/> lists it: <c>o200k_base</c> for the gpt-4o, gpt-4.1,
/// gpt-5 and o-series families; <c>cl100k_base</c> for gpt-4 (non-o) and gpt-3.5; <c>o200k_base</c> for any other model
/// id (the encoding of every current OpenAI chat model; for other vendors' models the count is an approximation).
/// </para>
/// <para>
/// Chat requests are counted as OpenAI bills them: 3 tokens of overhead per message, 1 more for a named
/// message, 3 tokens priming the reply, plus the text of every message, tool call and tool result, and the
/// JSON definitions of the tools offered.
/// </para>
/// <para>
/// An image (a <see cref="DataContent"/> or <see cref="UriContent"/> of an <c>image/*</c> type) counts as the most one
/// image can cost on the model (<see cref="ModelCatalogEntry.MaxImageTokens"/>; 1,600 for a model the catalogue does
/// not know): a budget reserves that much before the call and settles to the reported usage after it. Other binary
/// content (a PDF, audio) counts as nothing: what a provider makes of it cannot be told from its bytes, so its cost is
/// charged from the usage the reply reports.
/// </para>
/// <para>
/// Encodings are loaded once per process. Counts of long strings (instructions, few-shot examples, documents)
/// are cached per string instance, so a long instruction shared by every clone of a batch is encoded once.
/// The type is thread-safe.
/// </para>
/// </remarks>
public sealed class SharpTokenCounter : ITokenCounter
{
    // OpenAI's chat format: overhead per message, for a named message, and priming the reply.
    internal const int TokensPerMessage = 3;
    internal const int TokensPerName = 1;
    internal const int ReplyPrimingTokens = 3;

    // Below this length, encoding is cheaper than a cache lookup.
    private const int CacheThreshold = 256;

    // Lazy, not a bare GetOrAdd: loading an encoding takes about a second, and without single-flight every item of a
    // starting batch (and every thread the pool adds while they wait) would load its own copy.
    private static readonly ConcurrentDictionary<string, Lazy<GptEncoding>> Encodings = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string Encoding, string Role), int> RoleTokens = new();
    private static readonly ConcurrentDictionary<string, ModelCatalogEntry?> EntryByModel = new(StringComparer.OrdinalIgnoreCase);

    private readonly ConditionalWeakTable<string, StrongBox<int>> _o200kCache = new();
    private readonly ConditionalWeakTable<string, StrongBox<int>> _cl100kCache = new();

    /// <summary>Gets a shared instance.</summary>
    public static SharpTokenCounter Default { get; } = new();

    /// <summary>The encoding of a model: the catalogue's, else that of every current OpenAI chat model.</summary>
    internal static string GetEncodingName(string? modelId) => EntryOf(modelId)?.Encoding ?? ModelCatalog.FallbackEncoding;

    // The catalogue is a scan of prefixes; a batch asks for the same one or two model ids on every call.
    private static ModelCatalogEntry? EntryOf(string? modelId) =>
        string.IsNullOrWhiteSpace(modelId)
            ? null
            : EntryByModel.GetOrAdd(modelId, static id => ModelCatalog.TryGetEntry(id, out var entry) ? entry : null);

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    public int CountTokens(string text, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Count(text, GetEncodingName(modelId));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    public int CountInputTokens(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var model = EntryOf(options?.ModelId);
        var encoding = model?.Encoding ?? ModelCatalog.FallbackEncoding;
        var imageTokens = model?.MaxImageTokens ?? ModelCatalog.FallbackMaxImageTokens;
        var total = ReplyPrimingTokens;
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            total += TokensPerMessage + Count(options.Instructions, encoding);
        }

        foreach (var message in messages)
        {
            total += TokensPerMessage + RoleTokens.GetOrAdd((encoding, message.Role.Value), static key => GetEncoding(key.Encoding).CountTokens(key.Role));
            if (!string.IsNullOrEmpty(message.AuthorName))
            {
                total += TokensPerName + Count(message.AuthorName, encoding);
            }

            foreach (var content in message.Contents)
            {
                total += content switch
                {
                    TextContent text => Count(text.Text, encoding),
                    FunctionCallContent call => Count(call.Name, encoding) + Count(SerializeArguments(call.Arguments), encoding),
                    FunctionResultContent result => Count(result.Result?.ToString() ?? string.Empty, encoding),
                    TextReasoningContent reasoning => Count(reasoning.Text, encoding),
                    DataContent data when data.HasTopLevelMediaType("image") => imageTokens,
                    UriContent uri when uri.HasTopLevelMediaType("image") => imageTokens,
                    _ => 0,
                };
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                total += Count(tool.Name, encoding) + Count(tool.Description, encoding);
                if (tool is AIFunctionDeclaration function)
                {
                    total += Count(function.JsonSchema.GetRawText(), encoding);
                }
            }
        }

        return total;
    }

    private static string SerializeArguments(IDictionary<string, object?>? arguments) =>
        arguments is null or { Count: 0 } ? "{}" : JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions);

    private static GptEncoding GetEncoding(string name) =>
        Encodings.GetOrAdd(name, static n => new Lazy<GptEncoding>(() => GptEncoding.GetEncoding(n), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private int Count(string? text, string encoding)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (text.Length < CacheThreshold)
        {
            return GetEncoding(encoding).CountTokens(text);
        }

        var cache = encoding == "cl100k_base" ? _cl100kCache : _o200kCache;
        if (cache.TryGetValue(text, out var cached))
        {
            return cached.Value;
        }

        var count = GetEncoding(encoding).CountTokens(text);
        cache.AddOrUpdate(text, new StrongBox<int>(count));
        return count;
    }
}
