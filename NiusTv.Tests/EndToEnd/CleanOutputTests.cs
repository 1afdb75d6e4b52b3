using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>With `--json`, stdout is the answer and nothing else, so a script can parse all of it; the node's own
/// log lines (Akka's included) go to stderr.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class CleanOutputTests
{
    [Fact]
    public async Task Bench_pipeline_json_writes_only_json_to_stdout_and_its_log_to_stderr()
    {
        using var dir = new TempFolder();
        var stories = dir.Folder("stories");
        File.Copy(Path.Combine(Nius.RepoRoot, "samples", "stories", "shelter-adoption-weekend.json"), Path.Combine(stories, "shelter-adoption-weekend.json"));

        var r = await Nius.RunAsync(["bench", "pipeline", "--stories", stories, "--json"], TimeSpan.FromMinutes(5));

        Assert.True(r.ExitCode == 0, r.Stderr);
        // All of stdout, not a slice of it: one JSON document and nothing around it.
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("shelter-adoption-weekend", Assert.Single(doc.RootElement.GetProperty("stories").EnumerateArray()).GetProperty("id").GetString());
        Assert.DoesNotContain("Akka.", r.Stdout);
    }
}
