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

    [Fact]
    public void ForProviderBatch_IsHalfTheListPriceUnlessTheRateSaysOtherwise()
    {
        var pricing = new ModelPricing(2.50m, 10.00m);

        Assert.Equal(new ModelPricing(1.25m, 5.00m) { ProviderBatchRate = 1m }, pricing.ForProviderBatch());
        Assert.Equal(pricing.GetCost(4000, 500) / 2, pricing.ForProviderBatch().GetCost(4000, 500));
        Assert.Equal(new ModelPricing(1m, 4m) { ProviderBatchRate = 1m }, (pricing with { ProviderBatchRate = 0.4m }).ForProviderBatch());
        var batch = pricing.ForProviderBatch();
        Assert.Same(batch, batch.ForProviderBatch());
        Assert.Equal("ProviderBatchRate", Assert.Throws<ArgumentOutOfRangeException>(() => pricing with { ProviderBatchRate = 1.5m }).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => pricing with { ProviderBatchRate = -0.1m });
    }
}
