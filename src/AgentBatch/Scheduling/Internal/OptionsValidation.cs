using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;

namespace AgentBatch.Internal;

/// <summary>
/// Turns the DataAnnotations declared on an options type into messages that name the property, its rule and its value
/// (<c>MaxConcurrency must be between 1 and 10000; it is 0.</c>), and those messages into the one exception
/// <c>Validate()</c> throws.
/// </summary>
/// <remarks>
/// The attributes stay the one source of the ranges: their own messages omit the value, so each failing attribute is
/// described here from its declared limits. A secret-bearing property is never echoed: only ranges and
/// <see cref="RequiredAttribute"/> print values, and neither is put on a secret.
/// </remarks>
internal static class OptionsValidation
{
    /// <summary>Checks every attributed public property of <paramref name="options"/>.</summary>
    /// <typeparam name="T">The options type.</typeparam>
    /// <param name="options">The options.</param>
    /// <param name="prefix">The name of the property that holds <paramref name="options"/> inside other options, put before each name (<c>ProviderBatch.PollInterval</c>); <see langword="null"/> for none.</param>
    /// <returns>One result per failing attribute, in declaration order.</returns>
    public static IEnumerable<ValidationResult> CheckProperties<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T options, string? prefix = null)
        where T : class
    {
        foreach (var (property, attribute) in Declarations<T>.All)
        {
            var value = property.GetValue(options);
            if (!attribute.IsValid(value))
            {
                yield return Describe(prefix is null ? property.Name : prefix + "." + property.Name, attribute, value);
            }
        }
    }

    /// <summary>Makes the one exception that reports every failure.</summary>
    /// <param name="failures">The failures; at least one.</param>
    /// <returns>
    /// For one failure, an <see cref="ArgumentOutOfRangeException"/> (a range) or <see cref="ArgumentException"/> (any other
    /// rule) whose <see cref="ArgumentException.ParamName"/> is the property's name; for several, an
    /// <see cref="ArgumentException"/> whose message lists them all, named after the first.
    /// </returns>
    public static ArgumentException CreateException(IReadOnlyList<ValidationResult> failures)
    {
        if (failures.Count == 0)
        {
            throw new ArgumentException("At least one failure is required.", nameof(failures));
        }

        var first = failures[0];
        var paramName = first.MemberNames.FirstOrDefault();
        if (failures.Count == 1)
        {
            return first is RangeFailure
                ? new ArgumentOutOfRangeException(paramName, first.ErrorMessage)
                : new ArgumentException(first.ErrorMessage, paramName);
        }

        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"{failures.Count} settings are invalid: {string.Join(" ", failures.Select(f => f.ErrorMessage))}");
        return new ArgumentException(message, paramName);
    }

    /// <summary>Formats a value the way configuration writes it: invariant numbers, <c>c</c> time spans, quoted strings.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string text => $"'{text}'",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static ValidationResult Describe(string name, ValidationAttribute attribute, object? value)
    {
        string[] members = [name];
        switch (attribute)
        {
            case RangeAttribute range:
                var minimum = Limit(range, range.Minimum);
                var maximum = Limit(range, range.Maximum);
                var lower = range.MinimumIsExclusive
                    ? (minimum is TimeSpan { Ticks: 0 } ? "longer than zero" : $"more than {Format(minimum)}")
                    : null;
                var upper = range.MaximumIsExclusive ? $"less than {Format(maximum)}" : $"at most {Format(maximum)}";
                var rule = lower is null && !range.MaximumIsExclusive
                    ? $"between {Format(minimum)} and {Format(maximum)}"
                    : $"{lower ?? $"at least {Format(minimum)}"} and {upper}";
                return new RangeFailure($"{name} must be {rule}; it is {Format(value)}.", members);
            case RequiredAttribute:
                return new ValidationResult($"{name} is required and cannot be empty or white space; it is {Format(value)}.", members);
            default:
                return new ValidationResult($"{attribute.FormatErrorMessage(name)} It is {Format(value)}.", members);
        }
    }

    /// <summary>A limit as its operand type: attributes declared with strings (time spans, decimals) hold them as text until first used.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The operand types are primitives and TimeSpan, whose converters are never trimmed.")]
    private static object Limit(RangeAttribute range, object limit) =>
        limit is string text && range.OperandType != typeof(string)
            ? System.ComponentModel.TypeDescriptor.GetConverter(range.OperandType).ConvertFromInvariantString(text)!
            : limit;

    /// <summary>A range failure, so that a single one is reported as an <see cref="ArgumentOutOfRangeException"/>.</summary>
    private sealed class RangeFailure(string message, IEnumerable<string> members) : ValidationResult(message, members);

    /// <summary>The attributed properties of one options type, found once.</summary>
    private static class Declarations<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>
    {
        public static readonly (PropertyInfo Property, ValidationAttribute Attribute)[] All =
        [
            .. from property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
               orderby property.MetadataToken
               from attribute in property.GetCustomAttributes<ValidationAttribute>(inherit: true)
               select (property, attribute),
        ];
    }
}
