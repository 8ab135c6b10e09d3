using System.Globalization;

namespace AgentBatch.Hosting.Internal;

/// <summary>
/// Tells a set from another dropped later under the same name: a folder carries a marker file the worker writes into it
/// on first sight; a JSONL file is known by its length and last write time.
/// </summary>
internal static class SetIdentity
{
    /// <summary>The marker's name; the leading '.' keeps it out of the set's documents.</summary>
    public const string MarkerFileName = ".agentbatch-set";

    public static string? Of(DocumentSet set)
    {
        if (set.IsJsonl)
        {
            var file = new FileInfo(set.Path);
            return string.Create(CultureInfo.InvariantCulture, $"jsonl:{file.Length}:{file.LastWriteTimeUtc.Ticks}");
        }

        var marker = Path.Combine(set.Path, MarkerFileName);
        try
        {
            if (File.Exists(marker) && File.ReadAllText(marker).Trim() is { Length: 32 } existing && Guid.TryParseExact(existing, "N", out _))
            {
                return existing;
            }

            // Written whole under a temporary name, then renamed: a crash never leaves a half marker that would look like a new set.
            // Never over another's: workers sharing the inbox that see the set at once must agree on one identity.
            var identity = Guid.NewGuid().ToString("N");
            var temporary = $"{marker}.{identity}.tmp";
            File.WriteAllText(temporary, identity);
            try
            {
                File.Move(temporary, marker, overwrite: false);
                return identity;
            }
            catch (IOException) when (File.Exists(marker))
            {
                File.Delete(temporary);
                return File.ReadAllText(marker).Trim() is { Length: 32 } theirs && Guid.TryParseExact(theirs, "N", out _) ? theirs : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A folder the worker cannot write to is one it cannot move when done either; the name alone has to do.
            return null;
        }
    }
}
