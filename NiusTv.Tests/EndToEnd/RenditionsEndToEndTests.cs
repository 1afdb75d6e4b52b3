using System.Text.Json;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A story asking for a 16:9 and a 9:16 rendition through a real `nius node`: two MP4s of the asked sizes,
/// each with its poster and caption files under &lt;id&gt;-&lt;name&gt;; speech, phonemes and landmarks once, render and
/// compose once per rendition, as `nius story show --json` shows. Small sizes and a one-sentence story keep it quick.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class RenditionsEndToEndTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_story_with_a_landscape_and_a_portrait_rendition_publishes_two_mp4s_of_their_sizes_each_with_its_poster()
    {
        var ct = TestContext.Current.CancellationToken;
        var assets = _dir.Folder("assets");
        Directory.CreateDirectory(Path.Combine(assets, "images"));
        PipelineEndToEndTests.WriteImage(Path.Combine(assets, "images", "ferry.jpg"), 800, 500, SKEncodedImageFormat.Jpeg, SKColors.SeaGreen);
        await using var node = await NodeProcess.StartAsync(_dir.Combine("data"), _dir.Combine("out"), assets);
        var json = JsonSerializer.Serialize(new
        {
            id = "ferry-returns", title = "Island ferry returns",
            paragraphs = new[] { "The island ferry sailed again on Monday." },
            images = new[] { new { uri = "images/ferry.jpg", caption = "The ferry at the pier", paragraph = 0 } },
            outputs = new[]
            {
                new { name = "landscape", width = 384, height = 216, fps = 12 },
                new { name = "portrait", width = 216, height = 384, fps = 12 },
            },
        });
        var file = _dir.Combine("story.json");
        File.WriteAllText(file, json);
        var published = await node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        var story = await node.WaitForAsync("ferry-returns", NodeProcess.Finished, TimeSpan.FromMinutes(4));
        Assert.True(story.GetProperty("state").GetString() == "completed", story.ToString());

        // Steps: the story's own once, render and compose once per rendition, each run once.
        var steps = story.GetProperty("steps").EnumerateArray().ToList();
        var names = steps.Select(s => s.GetProperty("name").GetString()!).ToList();
        Assert.Equal(NiusTv.Host.Node.NodeSteps.Pipeline.StepNamesFor(StoryParser.Parse(json).Story!), names);
        foreach (var once in new[] { "init", "speech", "phonemes", "landmarks", "publish" })
            Assert.Single(names, n => n == once);
        Assert.Equal(["render:landscape", "compose:landscape", "render:portrait", "compose:portrait"],
            names.Where(n => n.StartsWith("render") || n.StartsWith("compose")));
        Assert.All(steps, s => Assert.Equal(1, s.GetProperty("attempts").GetInt32()));
        Assert.Equal("portrait", steps.Single(s => s.GetProperty("name").GetString() == "compose:portrait").GetProperty("rendition").GetString());
        Assert.Equal(JsonValueKind.Null, steps.Single(s => s.GetProperty("name").GetString() == "speech").GetProperty("rendition").ValueKind);

        var videos = Path.Combine(node.Out, "videos");
        Assert.False(File.Exists(Path.Combine(videos, "ferry-returns.mp4")), "a story with renditions publishes no plain <id>.mp4");
        // The story's video is its first rendition's.
        Assert.Equal(Path.Combine(videos, "ferry-returns-landscape.mp4"), story.GetProperty("video").GetString());
        var renditions = story.GetProperty("renditions").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.Equal(["landscape", "portrait"], renditions.Keys);
        foreach (var (name, w, h) in new[] { ("landscape", 384, 216), ("portrait", 216, 384) })
        {
            var video = Path.Combine(videos, $"ferry-returns-{name}.mp4");
            var poster = Path.Combine(videos, $"ferry-returns-{name}.jpg");
            Assert.Equal(video, renditions[name].GetProperty("video").GetString());
            Assert.Equal(poster, renditions[name].GetProperty("poster").GetString());
            Assert.Equal((w, h), (renditions[name].GetProperty("width").GetInt32(), renditions[name].GetProperty("height").GetInt32()));
            var probe = await MediaProbe.ProbeAsync(video, ct);
            Assert.Equal(("h264", "aac"), (probe.Video!.CodecName, probe.Audio!.CodecName));
            Assert.Equal((w, h), (probe.Video.Width, probe.Video.Height));
            Assert.Equal(12, probe.Video.FrameRate);
            using var posterImage = SKBitmap.Decode(poster);
            Assert.Equal((w, h), (posterImage.Width, posterImage.Height));
            foreach (var suffix in new[] { ".vtt", ".srt", ".words.json" })
                Assert.True(File.Exists(Path.Combine(videos, $"ferry-returns-{name}{suffix}")), $"ferry-returns-{name}{suffix} is published");
            // Each rendition's own compose made it, from its own render's anchor.
            var compose = steps.Single(s => s.GetProperty("name").GetString() == $"compose:{name}");
            Assert.Equal($"renditions/{name}/video.mp4", compose.GetProperty("artifacts").GetProperty($"renditions/{name}/video.mp4").GetString());
            var anchor = steps.Single(s => s.GetProperty("name").GetString() == $"render:{name}").GetProperty("artifacts")
                .GetProperty($"renditions/{name}/anchor.mkv").GetString()!;
            var anchorProbe = await MediaProbe.ProbeAsync(Path.Combine(node.Data, "workspaces", "ferry-returns", "r1", anchor), ct);
            Assert.Equal(NiusTv.Steps.Render.RenderStep.SlotSize(w, h), (anchorProbe.Video!.Width!.Value, anchorProbe.Video.Height!.Value));
        }

        // The text view lists each rendition with its size.
        var show = await node.CliAsync("story", "show", "ferry-returns");
        Assert.Contains("216x384@12", show.Stdout);
    }
}
