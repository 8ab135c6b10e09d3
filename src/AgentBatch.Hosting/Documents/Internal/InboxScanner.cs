using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AgentBatch.Hosting.Internal;

/// <summary>Lists the sets waiting in the inbox, highest priority first and first come first served within a priority.</summary>
/// <remarks>Used by the worker's loop only, one scan at a time.</remarks>
internal sealed class InboxScanner
{
    private const string JsonlExtension = ".jsonl";
    private const string ManifestSuffix = ".set.json";

    private readonly string _inbox;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _firstSeen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private long _sequence;

    public InboxScanner(string inbox, ILogger logger)
    {
        _inbox = Path.GetFullPath(inbox);
        _logger = logger;
    }

    public IReadOnlyList<DocumentSet> Scan()
    {
        Directory.CreateDirectory(_inbox);
        var found = new List<(FileSystemInfo Entry, string Name, bool IsJsonl)>();
        foreach (var entry in new DirectoryInfo(_inbox).EnumerateFileSystemInfos())
        {
            // '.' and '_' mark entries still being copied in, and the worker's own folders.
            if (entry.Name[0] is '.' or '_')
            {
                continue;
            }

            var isJsonl = entry is FileInfo && entry.Name.EndsWith(JsonlExtension, StringComparison.OrdinalIgnoreCase);
            if (entry is FileInfo && !isJsonl)
            {
                continue;
            }

            if (entry.LinkTarget is not null && !LinkStaysInInbox(entry))
            {
                continue;
            }

            found.Add((entry, isJsonl ? entry.Name[..^JsonlExtension.Length] : entry.Name, isJsonl));
        }

        // Sets already there when the worker starts are taken oldest first.
        foreach (var (entry, _, _) in found.Where(f => !_firstSeen.ContainsKey(f.Entry.FullName)).OrderBy(f => f.Entry.LastWriteTimeUtc).ThenBy(f => f.Entry.Name, StringComparer.Ordinal).ToList())
        {
            _firstSeen[entry.FullName] = _sequence++;
        }

        var present = found.Select(f => f.Entry.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _firstSeen.Keys.Where(k => !present.Contains(k)).ToList())
        {
            _firstSeen.Remove(gone);
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var sets = new List<DocumentSet>(found.Count);
        foreach (var (entry, name, isJsonl) in found.OrderBy(f => _firstSeen[f.Entry.FullName]))
        {
            // A folder and a JSONL file of the same name would share an output folder: the first seen runs first.
            if (names.Add(name))
            {
                sets.Add(Describe(entry, name, isJsonl, _firstSeen[entry.FullName]));
            }
        }

        return sets.OrderByDescending(s => s.Manifest.Priority).ThenBy(s => s.Sequence).ToList();
    }

    private bool LinkStaysInInbox(FileSystemInfo entry)
    {
        var target = entry.ResolveLinkTarget(returnFinalTarget: true);
        if (target is not null && target.Exists && DocumentNames.IsReallyInside(_inbox, target.FullName))
        {
            return true;
        }

        if (_refused.Add(entry.FullName))
        {
            Log.SetLinkRefused(_logger, entry.Name);
        }

        return false;
    }

    private static DocumentSet Describe(FileSystemInfo entry, string name, bool isJsonl, long sequence)
    {
        var manifestPath = isJsonl
            ? Path.Combine(Path.GetDirectoryName(entry.FullName)!, name + ManifestSuffix)
            : Path.Combine(entry.FullName, DocumentSetReader.ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            return new DocumentSet(name, entry.FullName, isJsonl, new SetManifest(), null, sequence, null);
        }

        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllText(manifestPath), HostingJsonContext.Default.SetManifest) ?? new SetManifest();
            return new DocumentSet(name, entry.FullName, isJsonl, manifest, isJsonl ? manifestPath : null, sequence, null);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return new DocumentSet(
                name, entry.FullName, isJsonl, new SetManifest(), isJsonl ? manifestPath : null, sequence, $"Its manifest '{Path.GetFileName(manifestPath)}' cannot be read: {ex.Message}");
        }
    }
}
