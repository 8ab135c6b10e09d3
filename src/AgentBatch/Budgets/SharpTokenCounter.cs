using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SharpToken;

namespace AgentBatch;

/// <summary>An <see cref="ITokenCounter"/> on SharpToken's embedded OpenAI encodings (works offline).</summary>
/// <remarks>
/// <para>
/// The encoding follows the model id: <c>o200k_base</c> for the gpt-4o, gpt-4.1, gpt-5 and o-series (o1, o3, o4)
/// families; <c>cl100k_base</c> for gpt-4 (non-o) and gpt-3.5; <c>o200k_base</c> for any other model id (the
/// encoding of every current OpenAI chat model; for other vendors' models the count is an approximation).
/// </para>
/// <para>
/// Chat requests are counted as OpenAI bills them: 3 tokens of overhead per message, 1 more for a named
/// message, 3 tokens priming the reply, plus the text of every message, tool call and tool result, and the
/// JSON definitions of the tools offered.
/// </para>
/// <para>
/// Encodings are loaded once per process. Counts of long strings (instructions, few-shot examples, documents)
/// are cached per string instance, so a long instruction shared by every clone of a batch is encoded once.
/// The type is thread-safe.
/// </para>
/// </remarks>
public sealed class SharpTokenCounter : ITokenCounter
{
    /// <summary>The encoding used when a model id is unknown or not given.</summary>
    public const string FallbackEncoding = "o200k_base";

    /// <summary>Tokens of overhead for each message of a chat request.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens of overhead when a message carries an author name.</summary>
    public const int TokensPerName = 1;

    /// <summary>Tokens that prime the assistant's reply in every chat request.</summary>
    public const int ReplyPrimingTokens = 3;

    // Below this length, encoding is cheaper than a cache lookup.
    private const int CacheThreshold = 256;

    // Lazy, not a bare GetOrAdd: loading an encoding takes about a second, and without single-flight every item of a
    // starting batch (and every thread the pool adds while they wait) would load its own copy.
    private static readonly ConcurrentDictionary<string, Lazy<GptEncoding>> Encodings = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> EncodingByModel = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<(string Encoding, string Role), int> RoleTokens = new();

    private readonly ConditionalWeakTable<string, StrongBox<int>> _o200kCache = new();
    private readonly ConditionalWeakTable<string, StrongBox<int>> _cl100kCache = new();

    /// <summary>Gets a shared instance.</summary>
    public static SharpTokenCounter Default { get; } = new();

    /// <summary>Returns the name of the encoding used for <paramref name="modelId"/>.</summary>
    /// <param name="modelId">The model id, or <see langword="null"/>.</param>
    /// <returns><c>o200k_base</c> or <c>cl100k_base</c>.</returns>
    public static string GetEncodingName(string? modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return FallbackEncoding;
        }

        return EncodingByModel.GetOrAdd(modelId, static id =>
        {
            // Provider prefixes such as "openai/gpt-4o" name the same model.
            var name = id[(id.LastIndexOf('/') + 1)..].ToLowerInvariant();
            if (name.StartsWith("gpt-4o", StringComparison.Ordinal)
                || name.StartsWith("gpt-4.1", StringComparison.Ordinal)
                || name.StartsWith("gpt-4.5", StringComparison.Ordinal)
                || name.StartsWith("gpt-5", StringComparison.Ordinal)
                || name.StartsWith("chatgpt-4o", StringComparison.Ordinal)
                || (name.Length > 1 && name[0] == 'o' && char.IsAsciiDigit(name[1])))
            {
                return "o200k_base";
            }

            if (name.StartsWith("gpt-4", StringComparison.Ordinal)
                || name.StartsWith("gpt-3.5", StringComparison.Ordinal)
                || name.StartsWith("gpt-35", StringComparison.Ordinal)
                || name.StartsWith("text-embedding", StringComparison.Ordinal))
            {
                return "cl100k_base";
            }

            return FallbackEncoding;
        });
    }

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

        var encoding = GetEncodingName(options?.ModelId);
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
