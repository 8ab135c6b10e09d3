namespace AgentBatch.Internal;

/// <summary>What one model call is expected to spend at most: its counted input, its output limit, and the price they are charged at.</summary>
/// <param name="InputTokens">The call's input tokens, counted as the provider bills them.</param>
/// <param name="OutputTokens">The most output tokens the call may produce: its <c>MaxOutputTokens</c>, or the batch's default.</param>
/// <param name="Pricing">The call's price, or <see langword="null"/> when unknown.</param>
internal readonly record struct CallEstimate(long InputTokens, long OutputTokens, ModelPricing? Pricing)
{
    public long Tokens => InputTokens + OutputTokens;

    public decimal Cost => Pricing?.GetCost(InputTokens, OutputTokens) ?? 0m;

    /// <summary>The same call with a lower output limit.</summary>
    public CallEstimate WithOutput(long outputTokens) => this with { OutputTokens = outputTokens };
}
