using System.Text.RegularExpressions;

namespace AgentBatch.Samples.CodeAnalyzer;

/// <summary>
/// The embedded mock's stand-in for a model's judgement: a few regular expressions for classic flaws, enough to find
/// what the bundled files really contain, at their real lines. A real model finds more, and explains it better.
/// </summary>
internal static class FlawRules
{
    public static IReadOnlyList<FlawRule> All { get; } =
    [
        Rule(@"\bgets\s*\(", FindingSeverity.Critical, "gets() reads unbounded input into a fixed-size buffer (stack overflow); use fgets() with the buffer size."),
        Rule(@"\bstrcpy\s*\(\s*\w+\s*,\s*[^""\s]", FindingSeverity.High, "strcpy() copies input of any length into a fixed-size buffer; use a bounded copy such as snprintf() or strlcpy()."),
        Rule(@"\bstrcat\s*\(\s*\w+\s*,\s*[^""\s]", FindingSeverity.High, "strcat() appends input of any length to a fixed-size buffer; check the remaining space or use snprintf()."),
        Rule(@"\bsprintf\s*\(", FindingSeverity.High, "sprintf() writes a formatted string of unchecked length into a fixed-size buffer; use snprintf() with the buffer size."),
        Rule(@"\bprintf\s*\(\s*[A-Za-z_]\w*\s*\)", FindingSeverity.Medium, "printf() with a non-literal format string lets input containing % directives read or write memory; use printf(\"%s\", ...)."),
        Rule(@"\bsystem\s*\(\s*[A-Za-z_]\w*\s*\)", FindingSeverity.Critical, "system() runs a shell command built from input (command injection); validate the input and call exec*() with an argument list."),
        Rule(@"""\s*(SELECT|INSERT|UPDATE|DELETE)\b[^""]*""\s*\+|\$""\s*(SELECT|INSERT|UPDATE|DELETE)\b[^""]*\{", FindingSeverity.High, "SQL built from input by string concatenation or interpolation (SQL injection); use a parameterized command."),
        Rule(@"(?i)\b\w*(api_?key|secret|password|token)\w*\s*=\s*""[^""]{8,}""", FindingSeverity.High, "Hard-coded credential in source code; load it from a secret store or the environment, and rotate this one."),
        Rule(@"\b(MD5|SHA1)\.(HashData|Create)\b", FindingSeverity.High, "Passwords hashed with a fast, unsalted digest; use a slow salted key-derivation function such as PBKDF2 (Rfc2898DeriveBytes.Pbkdf2) or Argon2."),
    ];

    /// <summary>The first matching rule of each line, in line order.</summary>
    public static IReadOnlyList<(int Line, FlawRule Rule)> Match(IEnumerable<(int Number, string Text)> lines) =>
        lines.SelectMany(line => All.Where(rule => rule.Pattern.IsMatch(line.Text)).Take(1).Select(rule => (line.Number, rule))).ToArray();

    private static FlawRule Rule(string pattern, FindingSeverity severity, string description) =>
        new(new Regex(pattern, RegexOptions.CultureInvariant), severity, description);
}
