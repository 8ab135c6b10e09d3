using System.Globalization;
using System.Text;

namespace AgentBatch.Hosting.Internal;

/// <summary>
/// A worker's exclusive hold on an inbox whose checkpoint store is not shared: a lock file in the inbox, opened with
/// <see cref="FileShare.None"/>, which the operating system holds for the process until it ends, however it ends.
/// </summary>
/// <remarks>
/// Two workers on one SQLite store would both run the same set, each sending every document. The second worker cannot
/// open the file while the first holds it, so it waits (or exits) and says why. The file names its holder, for the
/// message; the lock itself is the open handle, not the file's existence, so a crash never leaves a stale lock. The
/// holder is written to a file of its own beside it, since a locked file cannot be read on every system.
/// </remarks>
internal sealed class InboxLock : IDisposable
{
    /// <summary>The lock file's name; the leading '.' keeps it out of the inbox's sets.</summary>
    public const string FileName = ".agentbatch.lock";

    /// <summary>The file that names the holder, for the second worker's message.</summary>
    public const string HolderFileName = ".agentbatch.lock.holder";

    private readonly FileStream _file;

    private InboxLock(FileStream file) => _file = file;

    /// <summary>Takes the inbox, or returns <see langword="null"/> with who holds it.</summary>
    public static InboxLock? TryAcquire(string inbox, TimeProvider timeProvider, out string holder)
    {
        holder = string.Empty;
        FileStream file;
        try
        {
            file = new FileStream(Path.Combine(inbox, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException)
        {
            holder = ReadHolder(inbox);
            return null;
        }

        try
        {
            File.WriteAllText(
                Path.Combine(inbox, HolderFileName),
                string.Create(CultureInfo.InvariantCulture, $"process {Environment.ProcessId} on {Environment.MachineName}, since {timeProvider.GetUtcNow():O}\n"),
                Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The name is for messages only; the handle is the lock.
        }

        return new InboxLock(file);
    }

    public void Dispose() => _file.Dispose();

    private static string ReadHolder(string inbox)
    {
        try
        {
            return File.ReadLines(Path.Combine(inbox, HolderFileName)).FirstOrDefault()?.Trim() is { Length: > 0 } line ? line : "another process";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "another process";
        }
    }
}
