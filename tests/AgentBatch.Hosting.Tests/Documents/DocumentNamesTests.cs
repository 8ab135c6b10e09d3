using AgentBatch.Hosting.Internal;

namespace AgentBatch.Hosting.Tests;

public sealed class DocumentNamesTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void RealPath_FollowsLinkedFoldersAndFilesAlongThePath()
    {
        var set = Directory.CreateDirectory(Path.Combine(_folder.Path, "set")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(_folder.Path, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "x");
        Directory.CreateSymbolicLink(Path.Combine(set, "door"), "../outside");
        File.CreateSymbolicLink(Path.Combine(set, "alias.txt"), Path.Combine(set, "door", "secret.txt"));

        Assert.Equal(Path.Combine(DocumentNames.RealPath(outside), "secret.txt"), DocumentNames.RealPath(Path.Combine(set, "alias.txt")));
        Assert.False(DocumentNames.IsReallyInside(set, Path.Combine(set, "door", "secret.txt")));
        Assert.True(DocumentNames.IsReallyInside(set, Path.Combine(set, "plain.txt")));
    }

    [Fact]
    public void RealPath_LinksInALoop_Throw()
    {
        var a = Path.Combine(_folder.Path, "a");
        var b = Path.Combine(_folder.Path, "b");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);

        Assert.Throws<IOException>(() => DocumentNames.RealPath(Path.Combine(a, "x")));
    }

    [Fact]
    public void OpenedInside_JudgesTheFileTheSystemOpened_NotThePathItWasOpenedBy()
    {
        var set = Directory.CreateDirectory(Path.Combine(_folder.Path, "set")).FullName;
        var outsideFile = Path.Combine(_folder.Path, "secret.txt");
        File.WriteAllText(outsideFile, "secret");
        File.WriteAllText(Path.Combine(set, "own.txt"), "own");
        File.CreateSymbolicLink(Path.Combine(set, "swapped.txt"), outsideFile);
        var realSet = DocumentNames.RealPath(set);

        using (var own = File.OpenRead(Path.Combine(set, "own.txt")))
        {
            Assert.True(DocumentNames.OpenedInside(own, realSet));
        }

        // Only Linux tells which file a handle is open on; elsewhere the check made before opening stands alone.
        using var swapped = File.OpenRead(Path.Combine(set, "swapped.txt"));
        Assert.Equal(!OperatingSystem.IsLinux(), DocumentNames.OpenedInside(swapped, realSet));
    }

    [Theory]
    [InlineData("a/b.txt", true)]
    [InlineData("../b.txt", false)]
    [InlineData("a/../../b.txt", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("C:\\x.txt", false)]
    [InlineData("a//b.txt", false)]
    [InlineData("./a.txt", false)]
    public void IsSafe_AcceptsOnlyRelativeNamesThatStayInside(string name, bool safe) =>
        Assert.Equal(safe, DocumentNames.IsSafe(name));

    public void Dispose() => _folder.Dispose();
}
