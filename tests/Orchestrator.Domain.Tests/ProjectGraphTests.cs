using System.Xml.Linq;

namespace Orchestrator.Domain.Tests;

/// <summary>The projects under src/ form rings around the domain (docs/architecture.md): a project references only
/// projects of its own ring or one further in, never one further out.</summary>
public class ProjectGraphTests
{
    /// <summary>0: the domain; 1: what the domain's users are built on; 2: the programs a person runs.</summary>
    private static readonly Dictionary<string, int> Rings = new(StringComparer.Ordinal)
    {
        ["Orchestrator.Domain"] = 0,
        ["Orchestrator.Files"] = 1,
        ["Orchestrator.Engine"] = 1,
        ["Orchestrator.Runtime"] = 1,
        ["Orchestrator.Catalogue"] = 1,
        ["Orchestrator.Reporting"] = 1,
        ["Orchestrator.Dashboard"] = 2,
        ["Orchestrator.Cli"] = 2,
    };

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> References()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln"))) dir = dir.Parent;
        dir.Should().NotBeNull("the tests run inside the repository");
        return Directory.GetFiles(Path.Combine(dir!.FullName, "src"), "*.csproj", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), p => (IReadOnlyList<string>)XDocument.Load(p).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/'))).ToList());
    }

    [Fact]
    public void Every_project_under_src_has_a_ring() =>
        References().Keys.Should().BeEquivalentTo(Rings.Keys, "a new project is placed in a ring here and in docs/architecture.md");

    [Fact]
    public void No_project_references_one_further_out()
    {
        var outward = References().SelectMany(p => p.Value.Where(r => Rings.GetValueOrDefault(r, int.MaxValue) > Rings.GetValueOrDefault(p.Key, -1))
            .Select(r => $"{p.Key} -> {r}"));

        outward.Should().BeEmpty();
    }

    [Fact]
    public void The_domain_and_the_file_helpers_reference_no_project() =>
        References().Where(p => p.Key is "Orchestrator.Domain" or "Orchestrator.Files").SelectMany(p => p.Value).Should().BeEmpty();
}
