using System.Diagnostics.CodeAnalysis;

namespace AgentBatch;

/// <summary>
/// The built-in catalogue of common OpenAI model families: context window, list price, tokenizer encoding and the most
/// an image costs, looked up by model id. Budgets, cost figures and the context-window check read it when
/// <see cref="BatchOptions.Pricing"/> or <see cref="BatchOptions.MaxInputTokens"/> do not say.
/// </summary>
/// <remarks>
/// <para>
/// The figures are the providers' published standard-tier figures when this version was released; they change. For
/// exact billing (negotiated rates, batch or cached-input discounts, other vendors) set <see cref="BatchOptions.Pricing"/>;
/// for another model's window, <see cref="BatchOptions.MaxInputTokens"/>.
/// </para>
/// <para>
/// A model id matches the entry whose family is its longest prefix ending at the id's end or at a <c>-</c>, after any
/// provider prefix (<c>openai/</c>), ignoring case: <c>gpt-4o-mini-2024-07-18</c> is <c>gpt-4o-mini</c>, never
/// <c>gpt-4o</c>, and <c>gpt-4ox</c> is nothing.
/// </para>
/// </remarks>
public static class ModelCatalog
{
    /// <summary>The encoding counted under for a model the catalogue does not know: that of every current OpenAI chat model.</summary>
    internal const string FallbackEncoding = O200k;

    /// <summary>
    /// The most an image is taken to cost on a model the catalogue does not know: above an OpenAI tile model's largest
    /// (1,445) and Anthropic's at its largest recommended size (about 1,600).
    /// </summary>
    internal const int FallbackMaxImageTokens = 1_600;

    private const string O200k = "o200k_base";
    private const string Cl100k = "cl100k_base";

    // An image at high detail on a tile model: 85 base tokens plus 170 for each of the at most 8 512-pixel tiles of
    // its largest size (768 x 2048).
    private const int TileImage = 85 + (170 * 8);

    // A patch model: at most 1536 32-pixel patches, times the model's multiplier.
    private static int PatchImage(decimal multiplier) => (int)Math.Ceiling(1536 * multiplier);

    // Longest families first, so that the first match is the longest.
    private static readonly ModelCatalogEntry[] Table =
    [
        new("gpt-4.1-nano", 1_047_576, new(0.10m, 0.40m), O200k, PatchImage(2.46m)),
        new("gpt-4.1-mini", 1_047_576, new(0.40m, 1.60m), O200k, PatchImage(1.62m)),
        new("gpt-3.5-turbo", 16_385, new(0.50m, 1.50m), Cl100k, TileImage),
        new("gpt-35-turbo", 16_385, new(0.50m, 1.50m), Cl100k, TileImage),   // Azure OpenAI's spelling
        new("chatgpt-4o", 128_000, new(5.00m, 15.00m), O200k, TileImage),
        new("gpt-4o-mini", 128_000, new(0.15m, 0.60m), O200k, 2_833 + (5_667 * 8)),
        new("gpt-4-turbo", 128_000, new(10.00m, 30.00m), Cl100k, TileImage),
        new("gpt-4-32k", 32_768, new(60.00m, 120.00m), Cl100k, TileImage),
        new("gpt-5-nano", 400_000, new(0.05m, 0.40m), O200k, PatchImage(2.46m)),
        new("gpt-5-mini", 400_000, new(0.25m, 2.00m), O200k, PatchImage(1.62m)),
        new("o3-mini", 200_000, new(1.10m, 4.40m), O200k, TileImage),
        new("o4-mini", 200_000, new(1.10m, 4.40m), O200k, PatchImage(1.72m)),
        new("o1-mini", 128_000, new(1.10m, 4.40m), O200k, TileImage),
        new("gpt-4.1", 1_047_576, new(2.00m, 8.00m), O200k, TileImage),
        new("gpt-4.5", 128_000, new(75.00m, 150.00m), O200k, TileImage),
        new("gpt-4o", 128_000, new(2.50m, 10.00m), O200k, TileImage),
        new("gpt-5", 400_000, new(1.25m, 10.00m), O200k, TileImage),
        new("gpt-4", 8_192, new(30.00m, 60.00m), Cl100k, TileImage),
        new("o1", 200_000, new(15.00m, 60.00m), O200k, TileImage),
        new("o3", 200_000, new(2.00m, 8.00m), O200k, TileImage),
    ];

    /// <summary>Gets every entry, longest family first.</summary>
    public static IReadOnlyList<ModelCatalogEntry> Entries { get; } = Array.AsReadOnly(Table);

    /// <summary>Looks a model up.</summary>
    /// <param name="modelId">The model id, such as <c>gpt-4o-mini</c> or <c>openai/gpt-4.1-2025-04-14</c>.</param>
    /// <param name="entry">The model's family, when the catalogue knows it.</param>
    /// <returns><see langword="true"/> when the catalogue knows the model.</returns>
    public static bool TryGetEntry(string? modelId, [NotNullWhen(true)] out ModelCatalogEntry? entry)
    {
        entry = null;
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return false;
        }

        var name = modelId.AsSpan(modelId.LastIndexOf('/') + 1);
        foreach (var candidate in Table)
        {
            var family = candidate.Family;
            if (name.StartsWith(family, StringComparison.OrdinalIgnoreCase)
                && (name.Length == family.Length || name[family.Length] == '-'))
            {
                entry = candidate;
                return true;
            }
        }

        return false;
    }
}
