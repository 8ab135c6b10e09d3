using System.CommandLine.Parsing;
using System.Globalization;

namespace AgentBatch.Samples;

/// <summary>Parsers for numeric flags that name the flag and the allowed range in their one-line error.</summary>
public static class OptionParsers
{
    /// <summary>A whole number of at least <paramref name="minimum"/>.</summary>
    /// <param name="flag">The flag, for the error message.</param>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <returns>The parser.</returns>
    public static Func<ArgumentResult, int> WholeNumberAtLeast(string flag, int minimum) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= minimum)
        {
            return value;
        }

        result.AddError($"{flag} must be a whole number of at least {minimum.ToString(CultureInfo.InvariantCulture)}, not '{token}'");
        return minimum;
    };

    /// <summary>A number above zero.</summary>
    /// <param name="flag">The flag, for the error message.</param>
    /// <returns>The parser.</returns>
    public static Func<ArgumentResult, decimal?> PositiveNumber(string flag) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (decimal.TryParse(token, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"{flag} must be a number above 0, not '{token}'");
        return null;
    };
}
