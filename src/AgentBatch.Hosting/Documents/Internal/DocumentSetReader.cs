using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentBatch.Hosting.Internal;

/// <summary>
/// Reads a set's documents one at a time, so a set of any size is held only one document at a time. A document that
/// cannot be sent (unreadable, binary, empty, too large, a link out of the set, a name that escapes it) comes back with
/// its problem instead of its text, so it fails alone.
/// </summary>
internal sealed class DocumentSetReader
{
    public const string ManifestFileName = "set.json";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly byte[] Utf8ByteOrderMark = [0xEF, 0xBB, 0xBF];
    private readonly long _maxDocumentBytes;

    public DocumentSetReader(long maxDocumentBytes) => _maxDocumentBytes = maxDocumentBytes;

    public IEnumerable<DocumentItem> Read(DocumentSet set) => set.IsJsonl ? ReadJsonl(set.Path) : ReadFolder(set.Path);

    private IEnumerable<DocumentItem> ReadFolder(string root)
    {
        var realRoot = DocumentNames.RealPath(root);
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        while (pending.TryPop(out var folder))
        {
            var entries = TryList(folder, out var unreadable);
            if (unreadable is not null)
            {
                // One folder that cannot be listed fails as one document; the rest of the set goes on.
                var folderKey = Path.GetRelativePath(root, folder.FullName).Replace('\\', '/');
                yield return DocumentItem.Bad(folderKey, folderKey, $"Folder '{folderKey}' cannot be read: {unreadable}");
                continue;
            }

            foreach (var entry in entries)
            {
                var key = Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');
                if (entry.Name.StartsWith('.') || (key == ManifestFileName && entry is FileInfo))
                {
                    continue;
                }

                if (entry.LinkTarget is not null)
                {
                    yield return ReadLink(realRoot, key, entry);
                }
                else if (entry is DirectoryInfo directory)
                {
                    pending.Push(directory);
                }
                else
                {
                    yield return ReadFile(realRoot, key, (FileInfo)entry);
                }
            }
        }
    }

    /// <summary>Lists a folder, reporting rather than throwing when it cannot be read.</summary>
    private static IEnumerable<FileSystemInfo> TryList(DirectoryInfo folder, out string? unreadable)
    {
        try
        {
            // Lazily enumerated: the first entry is read here, so a folder that cannot be opened fails now, not mid-set.
            var entries = folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false });
            using var probe = entries.GetEnumerator();
            probe.MoveNext();
            unreadable = null;
            return entries;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            unreadable = ex.Message;
            return [];
        }
    }

    private DocumentItem ReadLink(string realRoot, string key, FileSystemInfo link)
    {
        FileSystemInfo? target;
        try
        {
            target = link.ResolveLinkTarget(returnFinalTarget: true);
        }
        catch (IOException ex)
        {
            return DocumentItem.Bad(key, key, $"'{key}' is a link that cannot be followed: {ex.Message}");
        }

        if (target is null || !target.Exists)
        {
            return DocumentItem.Bad(key, key, $"'{key}' cannot be read: it is a link to '{link.LinkTarget}', which does not exist.");
        }

        if (!DocumentNames.IsInside(realRoot, DocumentNames.RealPath(target.FullName)))
        {
            // Following it would send a file from outside the set (say /etc/passwd) to the model.
            return LeadsOut(key);
        }

        return target is FileInfo file
            ? ReadFile(realRoot, key, file)
            : DocumentItem.Bad(key, key, $"'{key}' is a link to a folder; linked folders are not followed.");
    }

    private DocumentItem ReadFile(string realRoot, string key, FileInfo file)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (!DocumentNames.OpenedInside(stream, realRoot))
            {
                // Swapped for a link after the entry was listed: what opened is not the set's.
                return LeadsOut(key);
            }

            if (stream.Length > _maxDocumentBytes)
            {
                return TooLarge(key, key, stream.Length);
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return DocumentItem.Bad(key, key, $"'{key}' cannot be read: {ex.Message}");
        }

        if (bytes.AsSpan(0, Math.Min(bytes.Length, 8192)).Contains((byte)0))
        {
            return DocumentItem.Bad(key, key, $"'{key}' is binary (it holds NUL bytes), not text.");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes.AsSpan(bytes.AsSpan().StartsWith(Utf8ByteOrderMark) ? Utf8ByteOrderMark.Length : 0));
        }
        catch (DecoderFallbackException)
        {
            return DocumentItem.Bad(key, key, $"'{key}' is not UTF-8 text.");
        }

        return Text(key, key, text);
    }

    private IEnumerable<DocumentItem> ReadJsonl(string path)
    {
        // Lines are split as bytes and decoded one by one, so a line that is not UTF-8 fails alone.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        var line = new List<byte>(256);
        var number = 0;
        var atStart = true;
        int next;
        do
        {
            next = stream.ReadByte();
            if (next is not ('\n' or -1))
            {
                line.Add((byte)next);
                continue;
            }

            number++;
            var bytes = line.ToArray().AsSpan();
            line.Clear();
            if (atStart && bytes.StartsWith(Utf8ByteOrderMark))
            {
                bytes = bytes[Utf8ByteOrderMark.Length..];
            }

            atStart = false;
            var item = Line(number, bytes);
            if (item is not null)
            {
                yield return item;
            }
        }
        while (next != -1);
    }

    private DocumentItem? Line(int number, ReadOnlySpan<byte> bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes.TrimEnd((byte)'\r'));
        }
        catch (DecoderFallbackException)
        {
            return DocumentItem.Bad(LineKey(number), $"line {number}", $"Line {number} is not UTF-8 text.");
        }

        return string.IsNullOrWhiteSpace(text) ? null : ReadRecord(number, text);
    }

    private DocumentItem ReadRecord(int number, string line)
    {
        var key = LineKey(number);
        JsonlRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(line, HostingJsonContext.Default.JsonlRecord);
        }
        catch (JsonException ex)
        {
            return DocumentItem.Bad(key, $"line {number}", $"Line {number} is not a JSON record: {ex.Message}");
        }

        var name = record?.Name ?? $"line {number}";
        if (record?.Name is not null && !DocumentNames.IsSafe(record.Name))
        {
            return DocumentItem.Bad(key, name, $"Line {number}'s name '{name}' is not a relative path inside the set (no '..', no absolute paths).");
        }

        if (record?.Text is not { } text)
        {
            return DocumentItem.Bad(key, name, $"Line {number} has no \"text\".");
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        return bytes > _maxDocumentBytes ? TooLarge(key, name, bytes) : Text(key, name, text);
    }

    private static DocumentItem LeadsOut(string key) =>
        DocumentItem.Bad(key, key, $"'{key}' is a link that leads out of the set's folder; it is not read.");

    private static DocumentItem Text(string key, string name, string text) =>
        string.IsNullOrWhiteSpace(text) ? DocumentItem.Bad(key, name, $"'{name}' is empty.") : new DocumentItem(key, name, text, null);

    private DocumentItem TooLarge(string key, string name, long bytes) =>
        DocumentItem.Bad(key, name, string.Create(
            CultureInfo.InvariantCulture,
            $"'{name}' is {bytes:N0} bytes, more than the {_maxDocumentBytes:N0}-byte limit ({DocumentWorkerOptions.SectionName}:MaxDocumentBytes)."));

    private static string LineKey(int number) => string.Create(CultureInfo.InvariantCulture, $"line:{number}");
}
