using System.Text;
using System.Text.RegularExpressions;

namespace AgentBatch.Testing.Internal;

/// <summary>Reads a <c>multipart/form-data</c> body (RFC 7578) into its parts, as a file upload sends it.</summary>
internal static partial class MultipartForm
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Splits a body into its parts.</summary>
    /// <param name="body">The body's bytes.</param>
    /// <param name="contentType">The request's <c>Content-Type</c>, which names the boundary.</param>
    /// <returns>The parts, or <see langword="null"/> if the body is not multipart form data.</returns>
    public static IReadOnlyList<MultipartPart>? Parse(byte[]? body, string? contentType)
    {
        var boundary = contentType is null ? null : BoundaryPattern().Match(contentType) is { Success: true } match ? match.Groups["b"].Value : null;
        if (body is null || string.IsNullOrEmpty(boundary))
        {
            return null;
        }

        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var parts = new List<MultipartPart>();
        var span = body.AsSpan();
        var at = span.IndexOf(delimiter);
        while (at >= 0)
        {
            var start = at + delimiter.Length;
            if (span[start..].StartsWith("--"u8))
            {
                return parts;
            }

            start += span[start..].StartsWith("\r\n"u8) ? 2 : 0;
            var next = span[start..].IndexOf(delimiter);
            if (next < 0)
            {
                return null;
            }

            var part = span.Slice(start, next);
            if (part.EndsWith("\r\n"u8))
            {
                part = part[..^2];
            }

            var headersEnd = part.IndexOf(HeaderEnd);
            if (headersEnd >= 0)
            {
                var headers = Encoding.UTF8.GetString(part[..headersEnd]);
                var name = NamePattern().Match(headers);
                var fileName = FileNamePattern().Match(headers);
                if (name.Success)
                {
                    parts.Add(new MultipartPart(name.Groups["v"].Value, fileName.Success ? fileName.Groups["v"].Value : null, part[(headersEnd + HeaderEnd.Length)..].ToArray()));
                }
            }

            at = start + next;
        }

        return parts;
    }

    [GeneratedRegex("""boundary="?(?<b>[^";]+)"?""", RegexOptions.IgnoreCase)]
    private static partial Regex BoundaryPattern();

    [GeneratedRegex("""[;\s]name="?(?<v>[^";\r\n]*)"?""", RegexOptions.IgnoreCase)]
    private static partial Regex NamePattern();

    [GeneratedRegex("""[;\s]filename="?(?<v>[^";\r\n]*)"?""", RegexOptions.IgnoreCase)]
    private static partial Regex FileNamePattern();
}
