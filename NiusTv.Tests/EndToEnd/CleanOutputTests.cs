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
        // A sample with two renditions: the bench measures each video, and must not stop at a story without a plain
        // "compose" step.
        File.Copy(Path.Combine(Nius.RepoRoot, "samples", "stories", "riverside-cafe-reopens.json"), Path.Combine(stories, "riverside-cafe-reopens.json"));

        var r = await Nius.RunAsync(["bench", "pipeline", "--stories", stories, "--json"], TimeSpan.FromMinutes(5));

        Assert.True(r.ExitCode == 0, r.Stderr);
        // All of stdout, not a slice of it: one JSON document and nothing around it.
        using var doc = JsonDocument.Parse(r.Stdout);
        var rows = doc.RootElement.GetProperty("stories").EnumerateArray().ToList();
        Assert.All(rows, row => Assert.Equal("riverside-cafe-reopens", row.GetProperty("id").GetString()));
        Assert.Equal(["landscape", "portrait"], rows.Select(row => row.GetProperty("rendition").GetString()));
        Assert.Equal([(640, 360), (360, 640)], rows.Select(row => (row.GetProperty("width").GetInt32(), row.GetProperty("height").GetInt32())));
        Assert.All(rows, row =>
        {
            Assert.Contains(row.GetProperty("steps").EnumerateArray(), s => s.GetProperty("step").GetString() == "compose" && s.GetProperty("seconds").GetDouble() > 0);
            Assert.True(row.GetProperty("composeToFfmpegRatio").GetDouble() > 0);
        });
        Assert.DoesNotContain("Akka.", r.Stdout);
    }
}
