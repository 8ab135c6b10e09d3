using System.Globalization;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>A model's price per million input and output tokens, in the currency the batch's <c>MaxCost</c> is in.</summary>
/// <param name="InputPerMillionTokens">The price of one million input (prompt) tokens.</param>
/// <param name="OutputPerMillionTokens">The price of one million output (completion) tokens.</param>
/// <remarks>
/// Valid however it is made: the constructor, a <see langword="with"/> expression and configuration binding all refuse
/// a negative price with an <see cref="ArgumentOutOfRangeException"/> whose <see cref="ArgumentException.ParamName"/> is the
/// property's name (configuration binding by reflection wraps it in a
/// <see cref="System.Reflection.TargetInvocationException"/>).
/// </remarks>
public sealed record ModelPricing(decimal InputPerMillionTokens, decimal OutputPerMillionTokens)
{
    /// <summary>Gets the price of one million input tokens.</summary>
    /// <value>Zero or more.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public decimal InputPerMillionTokens
    {
        get;
        init => field = NotNegative(value, nameof(InputPerMillionTokens));
    } = NotNegative(InputPerMillionTokens, nameof(InputPerMillionTokens));

    /// <summary>Gets the price of one million output tokens.</summary>
    /// <value>Zero or more.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public decimal OutputPerMillionTokens
    {
        get;
        init => field = NotNegative(value, nameof(OutputPerMillionTokens));
    } = NotNegative(OutputPerMillionTokens, nameof(OutputPerMillionTokens));

    /// <summary>The default value of <see cref="ProviderBatchRate"/>: OpenAI's Batch API and Anthropic's Message Batches both cost half the normal price.</summary>
    public const decimal DefaultProviderBatchRate = 0.5m;

    /// <summary>Gets the share of these prices a request costs in the provider's batch API (<see cref="BatchExecution.ProviderBatch"/>).</summary>
    /// <value>The default value is 0.5 (<see cref="DefaultProviderBatchRate"/>). Between 0 and 1. Binds from <c>Pricing:ProviderBatchRate</c>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or above 1.</exception>
    /// <remarks>Caps, estimates and costs of a batch in the provider batch lane are at <see cref="ForProviderBatch"/>'s prices.</remarks>
    public decimal ProviderBatchRate
    {
        get;
        init => field = value is >= 0m and <= 1m
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ProviderBatchRate), string.Create(CultureInfo.InvariantCulture, $"{nameof(ProviderBatchRate)} must be between 0 and 1; it is {value}."));
    } = DefaultProviderBatchRate;

    /// <summary>Returns the prices a request costs in the provider's batch API: these prices times <see cref="ProviderBatchRate"/>.</summary>
    /// <returns>The batch prices (whose own rate is 1: they are batch prices already).</returns>
    public ModelPricing ForProviderBatch() =>
        ProviderBatchRate == 1m ? this : new(InputPerMillionTokens * ProviderBatchRate, OutputPerMillionTokens * ProviderBatchRate) { ProviderBatchRate = 1m };

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

    // The initializers write the fields directly (the constructor path) and the init accessors guard `with` and binding.
    private static decimal NotNegative(decimal price, string name) =>
        price >= 0
            ? price
            : throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"{name} cannot be negative; it is {price}."));
}
