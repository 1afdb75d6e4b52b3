using System.Text.Json;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Render;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Tools;
using NiusTv.Tests.Render;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The talking anchor through a real `nius node`: a story goes through phonemes, landmarks and render, and
/// the mouth follows the speech — measured on the workspace's landmarks.json (inner-lip gap, points 62–66) and on
/// the rendered anchor.mkv (the mouth region's dark-pixel area), each against the loudness of speech.wav at frame
/// rate. The story was not used to tune the viseme table.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class TalkingAnchorEndToEndTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_anchor_reads_the_story_with_the_mouth_in_sync_in_landmarks_json_and_in_the_rendered_frames()
    {
        var ct = TestContext.Current.CancellationToken;
        var assets = _dir.Folder("assets");
        await using var node = await NodeProcess.StartAsync(_dir.Combine("data"), _dir.Combine("out"), assets);
        var file = _dir.Combine("story.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id = "library-late-opening", title = "Library opens late on Thursdays",
            paragraphs = new[]
            {
                "From next week the central library will stay open until nine on Thursday evenings. " +
                "The council says more than 1,200 readers asked for longer hours.",
                "Dr. Maria Ruiz, who runs the reading rooms, hopes students and shift workers will come. " +
                "Coffee will be sold in the lobby, but not beside the books.",
            },
            output = new { width = 640, height = 320, fps = 25 },
        }));
        var published = await node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        var story = await node.WaitForAsync("library-late-opening", NodeProcess.Finished, TimeSpan.FromMinutes(4));
        Assert.True(story.GetProperty("state").GetString() == "completed", story.ToString());

        var steps = story.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(NiusTv.Host.Node.NodeSteps.Pipeline.StepNames, steps.Select(s => s.GetProperty("name").GetString()));
        string Artifact(string step, string name) => Path.Combine(node.Data, "workspaces", "library-late-opening", "r1",
            steps.Single(s => s.GetProperty("name").GetString() == step).GetProperty("artifacts").GetProperty(name).GetString()!);

        // phones.json: the normalized words ("1,200" is said), each with its pronunciation source.
        var phones = PhoneTrack.Load(Artifact("phonemes", "phones.json"));
        Assert.Contains(phones.Words, w => w.Text == "thousand");
        Assert.DoesNotContain(phones.Words, w => w.Text.Any(char.IsDigit));
        Assert.All(phones.Phones, p => Assert.True(p.Phone == PhoneTrack.Silence || CmuPhonesForTest.All.Contains(p.Phone), p.Phone));

        var wav = WaveFile.Read(Artifact("speech", "speech.wav"));
        var track = LandmarkTrack.Load(Artifact("landmarks", "landmarks.json"));
        Assert.Equal(25, track.Fps);
        Assert.InRange(track.Frames.Length, (int)(wav.Duration * 25) - 1, (int)(wav.Duration * 25) + 1);
        Assert.All(track.Frames, f => Assert.Equal(68, f.Length));

        var loudness = LipSync.LoudnessEnvelope(wav, track.Fps, track.Frames.Length);
        var onLandmarks = LipSync.BestLag(LipSync.MouthOpening(track), loudness);
        TestContext.Current.SendDiagnosticMessage($"landmarks.json: r = {onLandmarks.R:0.000}, best lag {onLandmarks.BestLag}");
        Assert.True(onLandmarks.R >= 0.5, $"inner-lip gap and loudness correlate with r = {onLandmarks.R:0.000} only");
        Assert.InRange(onLandmarks.BestLag, -1, 1);

        // anchor.mkv, decoded as compose reads it: one frame per landmark frame at the slot's size.
        var anchorPath = Artifact("render", "anchor.mkv");
        var probe = await MediaProbe.ProbeAsync(anchorPath, ct);
        var (w, h) = RenderStep.SlotSize(640, 320);
        Assert.Equal((w, h), (probe.Video!.Width, probe.Video.Height));
        var mouth = RenderTestSupport.MouthRegion(RenderTestSupport.DefaultPresenter(), w, h);
        var dark = new List<double>();
        await using (var anchor = await AnchorVideo.OpenAsync(anchorPath, "ffmpeg", ct))
        {
            var pixels = new byte[w * h * 4];
            for (var i = 0; i < track.Frames.Length; i++)
            {
                using var image = anchor.FrameAt((i + 0.5) / track.Fps, 0);
                using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Bgra8888, SKAlphaType.Premul));
                Assert.True(image.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes, 0, 0));
                dark.Add(RenderTestSupport.DarkPixels(bitmap.GetPixelSpan(), w, mouth));
            }
        }
        var onFrames = LipSync.BestLag(dark, loudness);
        TestContext.Current.SendDiagnosticMessage($"anchor.mkv: r = {onFrames.R:0.000}, best lag {onFrames.BestLag}");
        Assert.True(onFrames.R >= 0.5, $"dark mouth area and loudness correlate with r = {onFrames.R:0.000} only");
        Assert.InRange(onFrames.BestLag, -1, 1);

        var video = await MediaProbe.ProbeAsync(story.GetProperty("video").GetString()!, ct);
        Assert.Equal(("h264", "aac"), (video.Video!.CodecName, video.Audio!.CodecName));
    }
}

internal static class CmuPhonesForTest
{
    public static readonly HashSet<string> All =
    [
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K",
        "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    ];
}
