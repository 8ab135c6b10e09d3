using Microsoft.Extensions.AI;

namespace AgentBatch.Tests.Budgets;

public sealed class ModelPricingTests
{
    [Fact]
    public void GetCost_IsPricePerMillionTokens()
    {
        var pricing = new ModelPricing(2.50m, 10.00m);
        Assert.Equal(0.0125m, pricing.GetCost(1000, 1000));
        Assert.Equal(12.5m, pricing.GetCost(new UsageDetails { InputTokenCount = 1_000_000, OutputTokenCount = 1_000_000 }));
        Assert.Equal(0m, pricing.GetCost(null));
    }

    [Theory]
    [InlineData("gpt-4o-mini", 0.15, 0.60)]
    [InlineData("gpt-4o-mini-2024-07-18", 0.15, 0.60)]
    [InlineData("gpt-4o-2024-08-06", 2.50, 10.00)]
    [InlineData("gpt-4.1-nano", 0.10, 0.40)]
    [InlineData("openai/gpt-4.1", 2.00, 8.00)]
    [InlineData("o3-mini", 1.10, 4.40)]
    public void TryGetPricing_MatchesTheLongestFamilyPrefix(string model, double input, double output)
    {
        Assert.True(ModelPricingCatalog.TryGetPricing(model, out var pricing));
        Assert.Equal((decimal)input, pricing.InputPerMillionTokens);
        Assert.Equal((decimal)output, pricing.OutputPerMillionTokens);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("gpt-4ox")]
    [InlineData("")]
    [InlineData(null)]
    public void TryGetPricing_UnknownModel_ReturnsFalse(string? model) =>
        Assert.False(ModelPricingCatalog.TryGetPricing(model, out _));
}
