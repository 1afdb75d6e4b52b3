using NiusTv.Steps.Tools;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Compose;

[Trait("Speed", "Slow")]
public sealed class ComposeStepTests
{
    private static readonly ComposeOptions Options = new();

    private sealed class Recorder : IProgress<double>
    {
        public readonly List<double> Values = [];
        public void Report(double value) { lock (Values) Values.Add(value); }
    }

    private static async Task<MediaProbe> ComposeAndCheck(int width, int height, int fps)
    {
        using var ws = new SyntheticWorkspace(width, height, fps);
        var progress = new Recorder();
        var output = await new ComposeStep(Options).RunAsync(ws.Input(), progress, TestContext.Current.CancellationToken);

        Assert.Equal("video.mp4", output.Artifacts["video.mp4"]);
        Assert.Equal("poster.jpg", output.Artifacts["poster.jpg"]);
        Assert.Empty(Directory.GetFiles(ws.Dir, "*.part.*"));
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.True(progress.Values.Zip(progress.Values.Skip(1)).All(p => p.Item1 <= p.Item2), "progress must not go backwards");

        var probe = await MediaProbe.ProbeAsync(Path.Combine(ws.Dir, "video.mp4"));
        var video = Assert.Single(probe.Streams, s => s.CodecType == "video");
        var audio = Assert.Single(probe.Streams, s => s.CodecType == "audio");
        Assert.Equal("h264", video.CodecName);
        Assert.Equal("yuv420p", video.PixelFormat);
        Assert.Equal((width, height), (video.Width, video.Height));
        Assert.Equal(fps, video.FrameRate);
        Assert.Equal("aac", audio.CodecName);

        var expected = Options.TitleCardSeconds + ws.WavSeconds;
        Assert.InRange(video.Duration!.Value, expected - 0.25, expected + 0.25);
        Assert.InRange(probe.FormatDuration, expected - 0.25, expected + 0.25);

        using var poster = SKBitmap.Decode(Path.Combine(ws.Dir, "poster.jpg"));
        Assert.NotNull(poster);
        Assert.Equal(width, poster.Width);
        Assert.Equal(height, poster.Height);
        using (var codec = SKCodec.Create(Path.Combine(ws.Dir, "poster.jpg")))
            Assert.Equal(SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
        return probe;
    }

    [Fact]
    public Task Landscape_1024x512_at_30() => ComposeAndCheck(1024, 512, 30);

    [Fact]
    public Task Portrait_9x16() => ComposeAndCheck(540, 960, 25);

    [Fact]
    public Task Small_320x180_at_24() => ComposeAndCheck(320, 180, 24);

    [Fact]
    public Task Square_and_smallest() => Task.WhenAll(ComposeAndCheck(480, 480, 30), ComposeAndCheck(160, 90, 10));

    [Fact]
    public async Task Missing_ffmpeg_is_a_permanent_failure()
    {
        using var ws = new SyntheticWorkspace(320, 180, 24);
        var step = new ComposeStep(Options with { Ffmpeg = "ffmpeg-that-is-not-installed" });
        var failure = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(ws.Input(), new Recorder(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains("not installed", failure.Message);
        Assert.False(File.Exists(Path.Combine(ws.Dir, "video.mp4")));
    }

    [Fact]
    public async Task Ffmpeg_failing_is_retryable_with_its_stderr_and_leaves_no_video()
    {
        using var ws = new SyntheticWorkspace(320, 180, 24);
        var step = new ComposeStep(Options with { Preset = "no-such-preset" });
        var failure = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(ws.Input(), new Recorder(), TestContext.Current.CancellationToken));
        Assert.True(failure.Transient);
        Assert.Contains("preset", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(ws.Dir, "video.mp4")));
        Assert.Empty(Directory.GetFiles(ws.Dir, "*.part.*"));
    }

    [Fact]
    public async Task A_sound_that_fails_while_the_pictures_encode_is_the_step_failure_and_leaves_no_video()
    {
        // The sound is made beside the pictures; a silent music bed is a permanent failure of the sound alone.
        using var ws = new SyntheticWorkspace(320, 180, 24, wavSeconds: 20);
        var pack = Directory.CreateDirectory(Path.Combine(ws.Dir, Artifacts.BrandFiles.Name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(pack, "brand.json"), """{ "music": { "file": "bed.wav", "level": -10, "duck": 15 } }""", TestContext.Current.CancellationToken);
        SyntheticWorkspace.WriteTone(Path.Combine(pack, "bed.wav"), 5, 48000, amplitude: 0);
        ws.SetStory(ws.Story with { Brand = "quiet" });
        var input = ws.Input();
        input = input with { Artifacts = new Dictionary<string, string>(input.Artifacts) { [Artifacts.BrandManifest.Name] = "brand/brand.json" } };

        var failure = await Assert.ThrowsAsync<StepFailure>(() => new ComposeStep(Options).RunAsync(input, new Recorder(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains("bed.wav (music.file) is silent", failure.Message);
        Assert.False(File.Exists(Path.Combine(ws.Dir, "video.mp4")));
        Assert.Empty(Directory.GetFiles(ws.Dir, "*.part.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Cancellation_stops_ffmpeg_and_leaves_no_video()
    {
        using var ws = new SyntheticWorkspace(1024, 512, 30, wavSeconds: 30);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var progress = new Recorder();
        var step = new ComposeStep(Options);
        var run = step.RunAsync(ws.Input(), new Progress<double>(v => { if (v > 0.05) cts.Cancel(); }), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(File.Exists(Path.Combine(ws.Dir, "video.mp4")));
        Assert.Empty(Directory.GetFiles(ws.Dir, "*.part.*"));
    }

    [Fact]
    public async Task Broken_image_is_a_permanent_failure_naming_it()
    {
        using var ws = new SyntheticWorkspace(320, 180, 24);
        File.WriteAllText(Path.Combine(ws.Dir, "images", "01.png"), "not a png");
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new ComposeStep(Options).RunAsync(ws.Input(), new Recorder(), TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Contains("01.png", failure.Message);
    }

    [Theory]
    [InlineData(BaselineInput.Bgra)]
    [InlineData(BaselineInput.I420)]
    public async Task Baseline_measures_a_positive_rate(BaselineInput input)
    {
        var fps = await FfmpegBaseline.MeasureAsync(320, 180, 30, 60, Options, TestContext.Current.CancellationToken, input);
        Assert.True(fps > 0);
    }

    /// <summary>The two baselines must time the same pictures, or their figures cannot be set side by side.</summary>
    [Fact]
    public void The_I420_baseline_frames_are_the_BGRA_baseline_frames_converted()
    {
        const int width = 96, height = 10;
        var (bgra, cutBgra) = FfmpegBaseline.Frames(BaselineInput.Bgra, width, height);
        var (i420, cutI420) = FfmpegBaseline.Frames(BaselineInput.I420, width, height);
        var converted = new byte[Yuv420.FrameBytes(width, height)];
        var distinct = new HashSet<string>();
        for (var n = 0; n < 130; n++)
        {
            cutBgra(n);
            cutI420(n);
            Yuv420.FromBgra(bgra, width, height, converted);
            Assert.True(converted.AsSpan().SequenceEqual(i420), $"frame {n} differs");
            distinct.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(i420)));
        }
        Assert.True(distinct.Count >= 64, $"only {distinct.Count} distinct frames: the picture should pan a pixel a frame");
    }

    /// <summary>Not a pass/fail speed gate (other builds share this machine); it prints compose fps next to
    /// ffmpeg-alone fps at the default output size so the numbers can be read off the test log.</summary>
    [Fact]
    public async Task Speed_at_1024x512_30_compared_with_ffmpeg_alone()
    {
        const double seconds = 12;
        using var ws = new SyntheticWorkspace(1024, 512, 30, wavSeconds: seconds);
        var frames = (int)Math.Round((Options.TitleCardSeconds + seconds) * 30);
        var stopwatch = Stopwatch.StartNew();
        await new ComposeStep(Options).RunAsync(ws.Input(), new Recorder(), TestContext.Current.CancellationToken);
        var composeFps = frames / stopwatch.Elapsed.TotalSeconds;
        var ffmpegFps = await FfmpegBaseline.MeasureAsync(1024, 512, 30, frames, Options, TestContext.Current.CancellationToken);
        var line = $"compose {composeFps:0.0} fps ({composeFps / 30:0.0}x real time), ffmpeg alone {ffmpegFps:0.0} fps, {frames} frames at 1024x512@30";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "nius-compose-speed.log"), $"{DateTime.UtcNow:O} {line}{Environment.NewLine}");
        Assert.True(composeFps > 0 && ffmpegFps > 0);
    }
}
