namespace AgentBatch.Docs.Tests;

/// <summary>Finds the repository from the test's output folder.</summary>
internal static class RepositoryRoot
{
    /// <summary>Gets the folder that holds AgentBatch.sln, above the test assembly.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "AgentBatch.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentBatch.sln above {AppContext.BaseDirectory}.");
    }
}
