namespace AgentBatch.Tests.Budgets;

/// <summary>The one catalogue of model families: price, context window, encoding and image cost found by one lookup.</summary>
public sealed class ModelCatalogTests
{
    [Theory]
    [InlineData("gpt-4o-mini", "gpt-4o-mini", 0.15, 0.60, 128_000)]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 0.15, 0.60, 128_000)]
    [InlineData("GPT-4o-2024-08-06", "gpt-4o", 2.50, 10.00, 128_000)]
    [InlineData("gpt-4.1-nano", "gpt-4.1-nano", 0.10, 0.40, 1_047_576)]
    [InlineData("openai/gpt-4.1", "gpt-4.1", 2.00, 8.00, 1_047_576)]
    [InlineData("o3-mini", "o3-mini", 1.10, 4.40, 200_000)]
    [InlineData("gpt-4-0613", "gpt-4", 30.00, 60.00, 8_192)]
    [InlineData("gpt-4-32k-0613", "gpt-4-32k", 60.00, 120.00, 32_768)]
    [InlineData("gpt-35-turbo", "gpt-35-turbo", 0.50, 1.50, 16_385)]
    public void TryGetEntry_MatchesTheLongestFamily(string model, string family, double input, double output, int window)
    {
        Assert.True(ModelCatalog.TryGetEntry(model, out var entry));
        Assert.Equal(family, entry.Family);
        Assert.Equal(new ModelPricing((decimal)input, (decimal)output), entry.Pricing);
        Assert.Equal(window, entry.ContextWindow);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("gpt-4ox")]
    [InlineData("claude-sonnet-4-5")]
    [InlineData(" ")]
    [InlineData("")]
    [InlineData(null)]
    public void TryGetEntry_UnknownModel_ReturnsFalse(string? model)
    {
        Assert.False(ModelCatalog.TryGetEntry(model, out var entry));
        Assert.Null(entry);
    }

    [Fact]
    public void Entries_NoFamilyIsShadowedByAnotherListedBeforeIt()
    {
        // A family listed after a shorter prefix of itself could never be found.
        Assert.All(ModelCatalog.Entries, entry =>
        {
            Assert.True(ModelCatalog.TryGetEntry(entry.Family, out var found));
            Assert.Same(entry, found);
        });
    }

    [Fact]
    public void Entries_AreWhole()
    {
        Assert.All(ModelCatalog.Entries, entry =>
        {
            Assert.True(entry.ContextWindow > 0);
            Assert.Contains(entry.Encoding, new[] { "o200k_base", "cl100k_base" });
            Assert.InRange(entry.MaxImageTokens, 85, 100_000);
            Assert.True(entry.Pricing.InputPerMillionTokens > 0 && entry.Pricing.OutputPerMillionTokens >= entry.Pricing.InputPerMillionTokens);
        });
    }

    [Fact]
    public void TheCounterCountsUnderTheCataloguesEncoding()
    {
        Assert.All(ModelCatalog.Entries, entry => Assert.Equal(entry.Encoding, SharpTokenCounter.GetEncodingName(entry.Family + "-2025-01-01")));
    }
}
