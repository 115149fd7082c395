namespace Orchestrator.Cli.Tests;

/// <summary>How a bad spec must be refused.</summary>
internal static class BadSpecs
{
    /// <summary>`sweep run` and `sweep launch` of <paramref name="yaml"/> each exit 2 with one line
    /// "error: spec: ..." that contains <paramref name="mentions"/>, and store nothing.</summary>
    public static async Task RefusedByRunAndLaunchAsync(string yaml, string mentions)
    {
        foreach (var command in new[] { "run", "launch" })
        {
            var dir = Cli.TempDir();
            await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), yaml);

            var result = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", command, "spec.yaml");

            result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
                .Which.Should().StartWith("error: spec: ").And.Contain(mentions);
            Directory.Exists(Path.Combine(dir, ".orchestrator")).Should().BeFalse("nothing may be stored for a bad spec");
            Directory.Exists(Path.Combine(dir, "data")).Should().BeFalse();
        }
    }
}
