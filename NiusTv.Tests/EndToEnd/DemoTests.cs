using System.Text.Json;
using NiusTv.Steps.Tools;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>`nius demo`, the README's first command, as a newcomer runs it: the sample stories in, every video out,
/// each path printed.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_publishes_a_sample_with_two_renditions_and_prints_both_videos()
    {
        using var dir = new TempFolder();
        var stories = dir.Folder("stories");
        // The riverside sample asks for 16:9 and 9:16 in its own brand: the demo must say where both videos are.
        File.Copy(Path.Combine(Nius.RepoRoot, "samples", "stories", "riverside-cafe-reopens.json"), Path.Combine(stories, "riverside-cafe-reopens.json"));
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(stories, "riverside-cafe-reopens.json"))).RootElement
            .GetProperty("outputs").EnumerateArray()
            .Select(o => (Name: o.GetProperty("name").GetString()!, Width: o.GetProperty("width").GetInt32(), Height: o.GetProperty("height").GetInt32()))
            .ToList();
        Assert.Equal(2, expected.Count);

        var r = await Nius.RunAsync(["demo", "--stories", stories, "--data", dir.Folder("data"), "--out", dir.Folder("out"), "--port", "0", "--json"],
            TimeSpan.FromMinutes(10));

        Assert.True(r.ExitCode == 0, r.Stderr);
        // The first sample is also read by the clip presenter when scripts/setup cached its clip: one or two stories.
        var shown = r.Json.EnumerateArray().ToList();
        Assert.All(shown, s => Assert.Equal("completed", s.GetProperty("state").GetString()));
        foreach (var story in shown)
        {
            var id = story.GetProperty("id").GetString()!;
            var renditions = story.GetProperty("renditions").EnumerateArray().ToList();
            Assert.Equal(expected.Select(e => e.Name), renditions.Select(x => x.GetProperty("name").GetString()));
            Assert.Equal(renditions[0].GetProperty("video").GetString(), story.GetProperty("video").GetString());
            foreach (var (rendition, want) in renditions.Zip(expected))
            {
                var video = rendition.GetProperty("video").GetString()!;
                Assert.Equal(Path.Combine(dir.Path, "out", "videos", $"{id}-{want.Name}.mp4"), video);
                var probe = await MediaProbe.ProbeAsync(video, CancellationToken.None);
                Assert.Equal((want.Width, want.Height), (probe.Video!.Width!.Value, probe.Video.Height!.Value));
                Assert.True(File.Exists(rendition.GetProperty("poster").GetString()), $"{id}-{want.Name}: no poster");
            }
        }
    }
}
