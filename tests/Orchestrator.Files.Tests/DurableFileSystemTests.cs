namespace Orchestrator.Files.Tests;

public sealed class DurableFileSystemTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("durable-fs-tests-");

    public void Dispose() => _root.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_root.FullName, name);

    [Fact]
    public void WriteAtomically_replaces_the_whole_file_and_leaves_no_temporary_file()
    {
        var path = PathOf("model.onnx");
        File.WriteAllText(path, "old content, longer than the new one");

        DurableFileSystem.WriteAtomically(path, s => s.Write("new"u8));

        File.ReadAllText(path).Should().Be("new");
        _root.GetFileSystemInfos().Select(e => e.Name).Should().Equal("model.onnx");
    }

    [Fact]
    public void WriteAtomically_that_fails_leaves_the_file_as_it_was()
    {
        var path = PathOf("model.onnx");
        File.WriteAllText(path, "old");

        var act = () => DurableFileSystem.WriteAtomically(path, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("writer failed");
        });

        act.Should().Throw<InvalidOperationException>().WithMessage("writer failed");
        File.ReadAllText(path).Should().Be("old");
        _root.GetFileSystemInfos().Select(e => e.Name).Should().Equal("model.onnx");
    }

    [Fact]
    public void MoveDirectoryNoReplace_moves_a_directory_to_a_free_name()
    {
        var from = Directory.CreateDirectory(PathOf("staging")).FullName;
        File.WriteAllText(Path.Combine(from, "a.txt"), "a");
        var to = PathOf("final");

        DurableFileSystem.MoveDirectoryNoReplace(from, to);

        Directory.Exists(from).Should().BeFalse();
        File.ReadAllText(Path.Combine(to, "a.txt")).Should().Be("a");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MoveDirectoryNoReplace_refuses_a_taken_name_and_names_it(bool takenByDirectory)
    {
        var from = Directory.CreateDirectory(PathOf("staging")).FullName;
        var to = PathOf("final");
        if (takenByDirectory) File.WriteAllText(Path.Combine(Directory.CreateDirectory(to).FullName, "keep.txt"), "mine");
        else File.WriteAllText(to, "mine");

        var act = () => DurableFileSystem.MoveDirectoryNoReplace(from, to);

        act.Should().Throw<IOException>().WithMessage($"'{to}' already exists; refusing to overwrite it*");
        Directory.Exists(from).Should().BeTrue();
        if (takenByDirectory) File.ReadAllText(Path.Combine(to, "keep.txt")).Should().Be("mine");
        else File.ReadAllText(to).Should().Be("mine");
    }

    [Fact]
    public void FsyncDirectory_of_a_missing_directory_says_which()
    {
        if (!OperatingSystem.IsLinux()) return;
        var missing = PathOf("missing");

        var act = () => DurableFileSystem.FsyncDirectory(missing);

        act.Should().Throw<IOException>().WithMessage($"*'{missing}'*");
    }
}
