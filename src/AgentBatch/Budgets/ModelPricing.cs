using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>A model's price per million input and output tokens, in the currency the batch's <c>MaxCost</c> is in.</summary>
/// <param name="InputPerMillionTokens">The price of one million input (prompt) tokens.</param>
/// <param name="OutputPerMillionTokens">The price of one million output (completion) tokens.</param>
public sealed record ModelPricing(decimal InputPerMillionTokens, decimal OutputPerMillionTokens)
{
    /// <summary>Gets the price of one million input tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public decimal InputPerMillionTokens { get; init; } = InputPerMillionTokens >= 0
        ? InputPerMillionTokens
        : throw new ArgumentOutOfRangeException(nameof(InputPerMillionTokens), InputPerMillionTokens, "A price cannot be negative.");

    /// <summary>Gets the price of one million output tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public decimal OutputPerMillionTokens { get; init; } = OutputPerMillionTokens >= 0
        ? OutputPerMillionTokens
        : throw new ArgumentOutOfRangeException(nameof(OutputPerMillionTokens), OutputPerMillionTokens, "A price cannot be negative.");

    /// <summary>Returns the cost of a number of input and output tokens.</summary>
    /// <param name="inputTokens">The input tokens.</param>
    /// <param name="outputTokens">The output tokens.</param>
    /// <returns>The cost.</returns>
    public decimal GetCost(long inputTokens, long outputTokens) =>
        ((inputTokens * InputPerMillionTokens) + (outputTokens * OutputPerMillionTokens)) / 1_000_000m;

    /// <summary>Returns the cost of reported usage; tokens the server did not report count as zero.</summary>
    /// <param name="usage">The usage, or <see langword="null"/>.</param>
    /// <returns>The cost.</returns>
    public decimal GetCost(UsageDetails? usage) =>
        usage is null ? 0m : GetCost(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
}
