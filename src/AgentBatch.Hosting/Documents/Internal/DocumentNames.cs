namespace AgentBatch.Hosting.Internal;

/// <summary>Keeps document names inside their set: no rooted paths, no <c>..</c> segments, no drive letters.</summary>
internal static class DocumentNames
{
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

    /// <summary>
    /// Whether <paramref name="path"/> is really inside <paramref name="root"/>: inside as text, and no folder between them is
    /// a link that could lead out.
    /// </summary>
    public static bool IsReallyInside(string root, string path)
    {
        if (!IsInside(root, path))
        {
            return false;
        }

        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        for (var folder = Path.GetDirectoryName(Path.GetFullPath(path)); folder is not null && folder.Length > fullRoot.Length; folder = Path.GetDirectoryName(folder))
        {
            if (new DirectoryInfo(folder).LinkTarget is not null)
            {
                return false;
            }
        }

        return true;
    }
}
