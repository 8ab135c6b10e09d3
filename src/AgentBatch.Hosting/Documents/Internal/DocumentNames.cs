using System.Globalization;

namespace AgentBatch.Hosting.Internal;

/// <summary>Keeps document names inside their set: no rooted paths, no <c>..</c> segments, no drive letters.</summary>
internal static class DocumentNames
{
    private const int MaxLinks = 40;

    private static readonly char[] Separators = [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar];

    public static bool IsSafe(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(name)
            || name[0] is '/' or '\\' || (name.Length > 1 && name[1] == ':'))
        {
            return false;
        }

        foreach (var segment in name.Split('/', '\\'))
        {
            if (segment is ".." or "." || segment.Length == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> itself or lies under it, compared as full paths.</summary>
    public static bool IsInside(string root, string path)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var fullPath = Path.GetFullPath(path);
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return fullPath.Equals(fullRoot, comparison)
            || (fullPath.StartsWith(fullRoot, comparison) && fullPath.Length > fullRoot.Length
                && (fullPath[fullRoot.Length] == Path.DirectorySeparatorChar || fullPath[fullRoot.Length] == Path.AltDirectorySeparatorChar));
    }

    /// <summary>Whether <paramref name="path"/> is really inside <paramref name="root"/>: compared after following every link on both.</summary>
    public static bool IsReallyInside(string root, string path) => IsInside(RealPath(root), RealPath(path));

    /// <summary>The path with every link along it followed, like POSIX <c>realpath</c>; parts that do not exist are kept as written.</summary>
    /// <exception cref="IOException">The links form a loop.</exception>
    public static string RealPath(string path)
    {
        var pending = Path.GetFullPath(path);
        var resolved = Path.GetPathRoot(pending)!;
        var parts = new Queue<string>(pending[resolved.Length..].Split(Separators, StringSplitOptions.RemoveEmptyEntries));
        for (var links = 0; parts.TryDequeue(out var part);)
        {
            var next = Path.Combine(resolved, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                resolved = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException($"'{path}' leads through more than {MaxLinks} links.");
            }

            // Start again from the link's target, with what was left of the path after the link.
            pending = Path.GetFullPath(Path.Combine(Path.Combine(resolved, target), string.Join(Path.DirectorySeparatorChar, parts)));
            resolved = Path.GetPathRoot(pending)!;
            parts = new Queue<string>(pending[resolved.Length..].Split(Separators, StringSplitOptions.RemoveEmptyEntries));
        }

        return resolved;
    }

    /// <summary>
    /// Whether an open file really lies inside <paramref name="realRoot"/>, judged by the file the system opened, so a link
    /// swapped in between a check and the read cannot lead out. Known only on Linux; elsewhere the check before opening stands.
    /// </summary>
    public static bool OpenedInside(FileStream stream, string realRoot)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        var descriptor = stream.SafeFileHandle.DangerousGetHandle().ToInt64();
        var opened = new FileInfo(string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{descriptor}")).LinkTarget;
        return opened is null || IsInside(realRoot, opened);
    }
}
