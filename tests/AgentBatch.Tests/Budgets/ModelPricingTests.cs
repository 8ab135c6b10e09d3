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
}
