using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentBatch.Hosting.Internal;

/// <summary>Binds a batch's <see cref="BatchOptions"/> from its section, reporting an unknown key or a bad price by its configuration path.</summary>
/// <remarks>
/// An unknown key (a misspelt setting) and a negative price fail the binding itself, before any validator sees the
/// options; they are reported as the validators report, with an <see cref="OptionsValidationException"/> that names
/// each setting. <see cref="ModelPricing"/> refuses a negative price however it is made.
/// </remarks>
internal static class BatchOptionsBinding
{
    private const string Input = nameof(ModelPricing.InputPerMillionTokens);
    private const string Output = nameof(ModelPricing.OutputPerMillionTokens);

    public static void Bind(BatchOptions options, IConfiguration section, AgentBatchRegistration registration)
    {
        foreach (var (old, current) in (ReadOnlySpan<(string, string)>)[("InputPricePerMillionTokens", Input), ("OutputPricePerMillionTokens", Output)])
        {
            if (section[old] is not null)
            {
                // Ignoring it would let a cost cap run on the catalog's price instead of the one configured.
                throw Fail(registration, $"{registration.PathOf(old)} is no longer read: set {registration.PathOf("Pricing")}:{current} instead.");
            }
        }

        var unknown = ConfigurationKeys.FindUnknown(section, registration.SectionPath, typeof(BatchOptions), registration.KnownKeys);
        if (unknown.Count > 0)
        {
            throw Fail(registration, [.. unknown]);
        }

        var pricing = section.GetSection(nameof(BatchOptions.Pricing));
        var pricingPath = registration.PathOf(nameof(BatchOptions.Pricing));
        if (options.Pricing is null && pricing.Exists() && (pricing[Input] is null || pricing[Output] is null))
        {
            throw Fail(registration, $"{pricingPath}:{Input} and {pricingPath}:{Output} must be set together.");
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
            throw Fail(registration, $"{pricingPath}:{message}");
        }
    }

    private static OptionsValidationException Fail(AgentBatchRegistration registration, params string[] messages) =>
        new(registration.Name, typeof(BatchOptions), messages);
}
