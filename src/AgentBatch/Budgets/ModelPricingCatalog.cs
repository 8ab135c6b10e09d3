namespace AgentBatch;

/// <summary>A built-in table of list prices (US dollars per million tokens) for common OpenAI models, looked up by model id.</summary>
/// <remarks>
/// The figures are the providers' published standard-tier list prices when this version was released; they change.
/// For exact billing (negotiated rates, batch or cached-input discounts, other vendors) set <c>BatchOptions.Pricing</c>.
/// Dated or suffixed ids (<c>gpt-4o-mini-2024-07-18</c>) match their family by longest prefix.
/// </remarks>
public static class ModelPricingCatalog
{
    // Longest prefixes first, so "gpt-4o-mini" wins over "gpt-4o" and "gpt-4.1-nano" over "gpt-4.1".
    private static readonly (string Prefix, ModelPricing Pricing)[] Table =
    [
        ("gpt-4.1-nano", new(0.10m, 0.40m)),
        ("gpt-4.1-mini", new(0.40m, 1.60m)),
        ("gpt-4o-mini", new(0.15m, 0.60m)),
        ("gpt-5-nano", new(0.05m, 0.40m)),
        ("gpt-5-mini", new(0.25m, 2.00m)),
        ("gpt-4-turbo", new(10.00m, 30.00m)),
        ("gpt-3.5-turbo", new(0.50m, 1.50m)),
        ("o3-mini", new(1.10m, 4.40m)),
        ("o4-mini", new(1.10m, 4.40m)),
        ("o1-mini", new(1.10m, 4.40m)),
        ("gpt-4.1", new(2.00m, 8.00m)),
        ("gpt-4o", new(2.50m, 10.00m)),
        ("gpt-5", new(1.25m, 10.00m)),
        ("gpt-4", new(30.00m, 60.00m)),
        ("o1", new(15.00m, 60.00m)),
        ("o3", new(2.00m, 8.00m)),
    ];

    /// <summary>Looks up the list price of a model.</summary>
    /// <param name="modelId">The model id, such as <c>gpt-4o-mini</c> or <c>openai/gpt-4.1-2025-04-14</c>.</param>
    /// <param name="pricing">The price when found.</param>
    /// <returns><see langword="true"/> when the model is in the table.</returns>
    public static bool TryGetPricing(string? modelId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPricing? pricing)
    {
        var found = AgentBatch.Internal.ModelFamilyTable.TryFind(Table, modelId, out var match);
        pricing = found ? match : null;
        return found;
    }
}
