using System.Globalization;
using System.Text;

namespace AgentBatch.Hosting.Internal;

/// <summary>RFC 4180 fields, with spreadsheet formula injection defused.</summary>
internal static class Csv
{
    public static string Row(params object?[] fields)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(Field(fields[i]));
        }

        return builder.ToString();
    }

    private static string Field(object? value)
    {
        var text = value switch
        {
            null => string.Empty,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };

        // A model's reply or a document name that starts like a formula must not run when the file is opened in a spreadsheet.
        if (text.Length > 0 && value is string && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }

        return text.AsSpan().IndexOfAny("\",\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
