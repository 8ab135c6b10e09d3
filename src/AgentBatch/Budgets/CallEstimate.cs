namespace AgentBatch;

/// <summary>What one model call is expected to spend at most: its counted input, its output limit, and the price they are charged at.</summary>
/// <param name="InputTokens">The call's input tokens, counted as the provider bills them.</param>
/// <param name="OutputTokens">The most output tokens the call may produce: its <c>MaxOutputTokens</c>, or the batch's default.</param>
/// <param name="Pricing">The call's price, or <see langword="null"/> when unknown.</param>
/// <remarks>What a <see cref="SpendLedger"/> reserves before the call is sent, and a <see cref="RateLedger"/> paces it by.</remarks>
public readonly record struct CallEstimate(long InputTokens, long OutputTokens, ModelPricing? Pricing)
{
    /// <summary>Gets the call's tokens: input plus output limit.</summary>
    public long Tokens => InputTokens + OutputTokens;

    /// <summary>Gets the call's cost at <see cref="Pricing"/>, or 0 when no price is known.</summary>
    public decimal Cost => Pricing?.GetCost(InputTokens, OutputTokens) ?? 0m;

    /// <summary>Returns the same call with another output limit.</summary>
    /// <param name="outputTokens">The output limit.</param>
    /// <returns>The call with <paramref name="outputTokens"/> as its output limit.</returns>
    public CallEstimate WithOutput(long outputTokens) => this with { OutputTokens = outputTokens };
}
