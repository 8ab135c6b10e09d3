using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Binds <see cref="BatchOptions"/> from the <c>AgentBatch</c> section, reporting a bad price by its configuration path.</summary>
/// <remarks>
/// <see cref="ModelPricing"/> refuses a negative price however it is made, so a bad <c>AgentBatch:Pricing</c> value fails
/// the binding itself, before any validator sees the options; it is reported as the validators report, with an
/// <see cref="OptionsValidationException"/> that names the setting.
/// </remarks>
internal static class BatchOptionsBinding
{
    private const string Section = AgentBatchHostingOptions.SectionName;
    private const string Input = nameof(ModelPricing.InputPerMillionTokens);
    private const string Output = nameof(ModelPricing.OutputPerMillionTokens);

    public static void Bind(BatchOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        foreach (var (old, current) in (ReadOnlySpan<(string, string)>)[("InputPricePerMillionTokens", Input), ("OutputPricePerMillionTokens", Output)])
        {
            if (section[old] is not null)
            {
                // Ignoring it would let a cost cap run on the catalog's price instead of the one configured.
                throw Fail($"{Section}:{old} is no longer read: set {Section}:Pricing:{current} instead.");
            }
        }

        var pricing = section.GetSection(nameof(BatchOptions.Pricing));
        if (options.Pricing is null && pricing.Exists() && (pricing[Input] is null || pricing[Output] is null))
        {
            throw Fail($"{Section}:Pricing:{Input} and {Section}:Pricing:{Output} must be set together.");
        }

        try
        {
            section.Bind(options);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is ArgumentOutOfRangeException { ParamName: Input or Output } price)
        {
            // The binder calls the record's constructor or init accessor by reflection, which wraps the refusal.
            var message = price.Message;
            var suffix = $" (Parameter '{price.ParamName}')";
            message = message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
            throw Fail($"{Section}:Pricing:{message}");
        }
    }

    private static OptionsValidationException Fail(string message) => new(Options.DefaultName, typeof(BatchOptions), [message]);
}
