using System.Diagnostics;
using System.Globalization;
using NiusTv.Steps;
using NiusTv.Steps.Brands;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Speech;
using NiusTv.Tests.Brands;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Compose;

/// <summary>One story composed once in a known pack — dark blue backdrop, orange accent, a solid red logo, a 110 Hz music
/// bed — so the tests can find each of them in the published MP4: pixels in decoded frames, the bed's level in the audio
/// (the speech is a 440 Hz tone, filtered out), loudness by ebur128.</summary>
public sealed class BrandedVideo : IAsyncLifetime
{
    public const int Width = 480, Height = 240, Fps = 24;
    public const double SpeechSeconds = 4.0;
    public static readonly SKColor Background = new(0x20, 0x40, 0x60);
    public static readonly SKColor Accent = new(0xFF, 0x88, 0x00);
    public static readonly SKColor LogoRed = new(0xE0, 0x10, 0x10);
    public static readonly ComposeOptions Options = new();

    internal SyntheticWorkspace Workspace { get; } = new(Width, Height, Fps, SpeechSeconds);
    public string Video => Path.Combine(Workspace.Dir, NiusTv.Steps.Artifacts.Video.Name);

    public async ValueTask InitializeAsync()
    {
        var pack = Directory.CreateDirectory(Path.Combine(Workspace.Dir, NiusTv.Steps.Artifacts.BrandFiles.Name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(pack, BrandPack.FileName), """
            { "colours": { "background": "#204060", "accent": "#FF8800", "text": "#FFFFFF", "captionBox": "#000000C0" },
              "logo": { "file": "logo.png", "placement": "top-left", "height": 0.2 },
              "lowerThird": { "tag": "ACME" },
              "music": { "file": "bed.wav", "level": -10, "duck": 15 } }
            """);
        await File.WriteAllBytesAsync(Path.Combine(pack, "logo.png"), BrandInitTests.Png(60, 30, LogoRed));
        // Shorter than the video, so it has to loop.
        BrandInitTests.Tone(Path.Combine(pack, "bed.wav"), 2.5, 110);
        Workspace.SetStory(Workspace.Story with { Brand = "acme" });
        var input = Workspace.Input();
        var artifacts = new Dictionary<string, string>(input.Artifacts) { [NiusTv.Steps.Artifacts.BrandManifest.Name] = "brand/brand.json" };
        await new ComposeStep(Options).RunAsync(input with { Artifacts = artifacts }, new Progress<double>(), TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Workspace.Dispose();
        return ValueTask.CompletedTask;
    }
}

[Trait("Speed", "Slow")]
public sealed class BrandComposeTests(BrandedVideo branded) : IClassFixture<BrandedVideo>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SKBitmap Frame(string video, double seconds)
    {
        var png = Path.Combine(Path.GetTempPath(), $"nius-brand-{Guid.NewGuid():N}.png");
        try
        {
            FrameGrab.ExtractFrame(video, seconds, png);
            return SKBitmap.Decode(png);
        }
        finally { File.Delete(png); }
    }

    /// <summary>Within what H.264 at CRF 20 and 4:2:0 chroma leave of a flat colour.</summary>
    private static void Near(SKColor expected, SKColor actual, string what, int tolerance = 14) =>
        Assert.True(Math.Abs(expected.Red - actual.Red) <= tolerance && Math.Abs(expected.Green - actual.Green) <= tolerance
            && Math.Abs(expected.Blue - actual.Blue) <= tolerance, $"{what}: expected about {expected}, got {actual}");

    [Fact]
    public void The_title_card_shows_the_brand_background_and_its_logo_in_the_chosen_corner()
    {
        using var frame = Frame(branded.Video, 0.5);
        var layout = new StoryLayout(BrandedVideo.Width, BrandedVideo.Height);
        Near(BrandedVideo.Background, frame.GetPixel(BrandedVideo.Width - 3, 3), "backdrop, top right");
        var logoHeight = layout.Unit * 0.2f;
        var logoCentre = (X: layout.SafeArea.Left + logoHeight, Y: layout.SafeArea.Top + logoHeight / 2);
        Near(BrandedVideo.LogoRed, frame.GetPixel((int)logoCentre.X, (int)logoCentre.Y), "logo centre");
        // Nothing of the logo in the other corner.
        Near(BrandedVideo.Background, frame.GetPixel(layout.SafeArea.Right - (int)logoHeight, (int)logoCentre.Y), "top right of the safe area", 30);
    }

    [Fact]
    public void The_story_frames_show_the_brand_accent_in_the_lower_third_and_keep_the_logo_over_everything()
    {
        using var frame = Frame(branded.Video, BrandedVideo.Options.TitleCardSeconds + 1.5);
        var layout = new StoryLayout(BrandedVideo.Width, BrandedVideo.Height);
        var band = layout.LowerThird;
        var tagY = (int)(band.Top + layout.LowerThirdStripe + (band.Height - layout.LowerThirdStripe) / 2);
        Near(BrandedVideo.Accent, frame.GetPixel(band.Left + 3, tagY), "the tag block at the left of the lower third");
        var logoHeight = layout.Unit * 0.2f;
        Near(BrandedVideo.LogoRed, frame.GetPixel((int)(layout.SafeArea.Left + logoHeight), (int)(layout.SafeArea.Top + logoHeight / 2)), "logo centre");
    }

    [Fact]
    public async Task Speech_with_a_music_bed_is_published_at_the_target_loudness_with_true_peak_under_minus_1_5_dBTP()
    {
        var m = await Loudness.MeasureAsync("ffmpeg", branded.Video, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"with the bed: {m}");
        Assert.InRange(m.Integrated, BrandedVideo.Options.LoudnessLufs - 1, BrandedVideo.Options.LoudnessLufs + 1);
        Assert.True(m.TruePeak <= -1.5, $"true peak {m.TruePeak:0.0} dBTP");
    }

    [Fact]
    public void The_music_bed_plays_at_least_12_dB_lower_while_the_anchor_speaks()
    {
        // The bed alone: 110 Hz, with the 440 Hz "speech" taken out by three low-pass stages (~40 dB at 440 Hz).
        var bed = Samples(branded.Video, "lowpass=f=160,lowpass=f=160,lowpass=f=160");
        var title = BrandedVideo.Options.TitleCardSeconds;
        // Before the first word (its ramp starts 0.3 s before it) and well inside the speech.
        var open = RmsDb(bed, 0.3, title - 0.5);
        var ducked = RmsDb(bed, title + 0.5, title + BrandedVideo.SpeechSeconds - 0.5);
        TestContext.Current.TestOutputHelper?.WriteLine($"bed {open:0.0} dBFS in the title card, {ducked:0.0} dBFS under the speech: {open - ducked:0.0} dB ducking");
        Assert.True(open - ducked >= 12, $"the bed is only {open - ducked:0.0} dB lower under the speech ({open:0.0} vs {ducked:0.0} dBFS)");
        Assert.True(open > -60, $"the bed is inaudible ({open:0.0} dBFS) where nobody speaks");
    }

    [Fact]
    public async Task The_duck_ramps_smoothly_instead_of_switching()
    {
        // The mixer alone, with silent speech, so the bed's level can be followed 50 ms at a time.
        using var temp = new TempFolder();
        var speech = temp.Combine("silence.wav");
        SyntheticWorkspace.WriteTone(speech, 6, 48000, amplitude: 0);
        var bed = temp.Combine("bed.wav");
        BrandInitTests.Tone(bed, 2, 220);
        var mix = temp.Combine("mix.wav");
        await MusicBed.MixAsync("ffmpeg", speech, 0, 6, bed, 0, 15, [(2.0, 4.0)], mix, Ct);
        var samples = Samples(mix, "anull");

        var open = RmsDb(samples, 0.2, 1.5);
        var ducked = RmsDb(samples, 2.1, 3.9);
        Assert.InRange(open - ducked, 14, 16);
        Assert.InRange(RmsDb(samples, 4.8, 5.9), open - 0.5, open + 0.5);
        // Across the ramp, 50 ms steps never jump by more than a few dB.
        var steps = Enumerable.Range(0, 12).Select(i => RmsDb(samples, 1.6 + i * 0.05, 1.65 + i * 0.05)).ToList();
        Assert.All(steps.Zip(steps.Skip(1)), p => Assert.InRange(Math.Abs(p.Item1 - p.Item2), 0, 3.5));
        Assert.True(steps[0] - steps[^1] >= 12, $"the ramp ends {steps[0] - steps[^1]:0.0} dB down");
    }

    [Fact]
    public void Speech_spans_merge_short_pauses_and_are_offset_by_the_title_card()
    {
        var timings = new SpeechTimings("test", 48000, 10, [], [
            new TimedWord("one", 0.1, 0.4, 0), new TimedWord("two", 0.5, 0.9, 0), new TimedWord("three", 3.0, 3.5, 1)], []);
        Assert.Equal([(2.1, 2.9), (5.0, 5.5)], MusicBed.SpeechSpans(timings, 2.0));
    }

    /// <summary>Mono 48 kHz float samples of the first audio stream after <paramref name="filter"/>.</summary>
    private static float[] Samples(string file, string filter)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-i", file, "-map", "0:a:0", "-af", filter, "-ac", "1", "-ar", "48000", "-f", "f32le", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var buffer = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(buffer);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err.Result);
        var bytes = buffer.ToArray();
        var samples = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 4);
        return samples;
    }

    private static double RmsDb(float[] samples, double from, double to)
    {
        var (a, b) = ((int)(from * 48000), Math.Min(samples.Length, (int)(to * 48000)));
        double sum = 0;
        for (var i = a; i < b; i++) sum += samples[i] * (double)samples[i];
        return 10 * Math.Log10(Math.Max(1e-20, sum / Math.Max(1, b - a)));
    }
}

/// <summary>A pack with an intro (a 4:3 clip at another rate, with its own sound) and an outro (a red 16:9 clip without
/// sound), composed once around the synthetic story.</summary>
public sealed class ClippedVideo : IAsyncLifetime
{
    public const double IntroSeconds = 1.0, OutroSeconds = 1.5;

    internal SyntheticWorkspace Workspace { get; } = new(BrandedVideo.Width, BrandedVideo.Height, BrandedVideo.Fps, BrandedVideo.SpeechSeconds);
    public string Video => Path.Combine(Workspace.Dir, NiusTv.Steps.Artifacts.Video.Name);
    public double StorySeconds => BrandedVideo.Options.TitleCardSeconds + BrandedVideo.SpeechSeconds;

    public async ValueTask InitializeAsync()
    {
        var pack = Directory.CreateDirectory(Path.Combine(Workspace.Dir, NiusTv.Steps.Artifacts.BrandFiles.Name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(pack, BrandPack.FileName),
            """{ "intro": "clips/intro.mp4", "outro": "clips/outro.mp4", "logo": { "file": "logo.svg", "placement": "top-right", "height": 0.2 } }""");
        // An SVG logo: a blue bar twice as wide as high, with a white dot that must not spill out of it.
        await File.WriteAllTextAsync(Path.Combine(pack, "logo.svg"),
            """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><rect width="200" height="100" fill="#1040E0"/><circle cx="50" cy="50" r="30" fill="#ffffff"/></svg>""");
        Directory.CreateDirectory(Path.Combine(pack, "clips"));
        BrandClipTests.Ffmpeg("-f", "lavfi", "-i", $"testsrc=size=320x240:rate=30:duration={IntroSeconds}", "-f", "lavfi", "-i", $"sine=frequency=880:duration={IntroSeconds}",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", Path.Combine(pack, "clips/intro.mp4"));
        BrandClipTests.Ffmpeg("-f", "lavfi", "-i", $"color=c=red:size=640x360:rate=25:duration={OutroSeconds}",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", Path.Combine(pack, "clips/outro.mp4"));
        Workspace.SetStory(Workspace.Story with { Brand = "clips" });
        var input = Workspace.Input();
        var artifacts = new Dictionary<string, string>(input.Artifacts) { [NiusTv.Steps.Artifacts.BrandManifest.Name] = "brand/brand.json" };
        await new ComposeStep(BrandedVideo.Options).RunAsync(input with { Artifacts = artifacts }, new Progress<double>(), TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Workspace.Dispose();
        return ValueTask.CompletedTask;
    }
}

[Trait("Speed", "Slow")]
public sealed class BrandClipTests(ClippedVideo clipped) : IClassFixture<ClippedVideo>
{
    internal static void Ffmpeg(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    [Fact]
    public async Task The_intro_and_outro_lengthen_the_video_by_their_duration()
    {
        var probe = await Steps.Tools.MediaProbe.ProbeAsync(clipped.Video, TestContext.Current.CancellationToken);
        var expected = ClippedVideo.IntroSeconds + clipped.StorySeconds + ClippedVideo.OutroSeconds;
        Assert.InRange(probe.Video!.Duration!.Value, expected - 0.1, expected + 0.1);
        Assert.InRange(probe.Audio!.Duration!.Value, expected - 0.1, expected + 0.1);
        Assert.Equal((BrandedVideo.Width, BrandedVideo.Height), (probe.Video.Width, probe.Video.Height));
        Assert.Equal(BrandedVideo.Fps, probe.Video.FrameRate);
    }

    [Fact]
    public void The_outro_is_scaled_into_the_frame_at_the_end()
    {
        var png = Path.Combine(Path.GetTempPath(), $"nius-outro-{Guid.NewGuid():N}.png");
        try
        {
            FrameGrab.ExtractFrame(clipped.Video, ClippedVideo.IntroSeconds + clipped.StorySeconds + 0.7, png);
            using var frame = SKBitmap.Decode(png);
            var c = frame.GetPixel(BrandedVideo.Width / 2, BrandedVideo.Height / 2);
            Assert.True(c.Red > 200 && c.Green < 60 && c.Blue < 60, $"the outro's red, got {c}");
        }
        finally { File.Delete(png); }
    }

    [Fact]
    public void An_svg_logo_is_drawn_sharp_in_the_top_right_corner()
    {
        var png = Path.Combine(Path.GetTempPath(), $"nius-svg-{Guid.NewGuid():N}.png");
        try
        {
            FrameGrab.ExtractFrame(clipped.Video, ClippedVideo.IntroSeconds + 3.0, png);
            using var frame = SKBitmap.Decode(png);
            var layout = new StoryLayout(BrandedVideo.Width, BrandedVideo.Height);
            var h = (int)Math.Round(layout.Unit * 0.2);
            var (right, top) = (layout.SafeArea.Right, layout.SafeArea.Top);
            var blue = frame.GetPixel(right - h / 2, top + h / 2);
            Assert.True(blue.Blue > 170 && blue.Red < 60, $"the logo's blue bar, got {blue}");
            var dot = frame.GetPixel(right - 2 * h + h / 2, top + h / 2);
            Assert.True(dot.Red > 200 && dot.Green > 200 && dot.Blue > 200, $"the logo's white dot, got {dot}");
        }
        finally { File.Delete(png); }
    }

    [Fact]
    public async Task The_whole_programme_with_intro_and_outro_is_at_the_target_loudness()
    {
        var m = await Loudness.MeasureAsync("ffmpeg", clipped.Video, TestContext.Current.CancellationToken);
        Assert.InRange(m.Integrated, BrandedVideo.Options.LoudnessLufs - 1, BrandedVideo.Options.LoudnessLufs + 1);
        Assert.True(m.TruePeak <= -1.5, $"true peak {m.TruePeak:0.0} dBTP");
    }

    [Fact]
    public void Sidecar_captions_start_after_the_intro_and_the_title_card()
    {
        var vtt = File.ReadAllText(Path.Combine(clipped.Workspace.Dir, "captions.vtt"));
        var first = System.Text.RegularExpressions.Regex.Match(vtt, @"(\d\d):(\d\d)\.(\d\d\d) -->");
        Assert.True(first.Success, vtt);
        var start = int.Parse(first.Groups[1].Value) * 60 + int.Parse(first.Groups[2].Value) + int.Parse(first.Groups[3].Value) / 1000.0;
        Assert.True(start >= ClippedVideo.IntroSeconds + BrandedVideo.Options.TitleCardSeconds, $"first cue at {start:0.000} s");
    }
}

[Trait("Speed", "Slow")]
public sealed class BrandFontTests
{
    private const string Mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
    private const string Math = "/usr/share/fonts/truetype/dejavu/DejaVuMathTeXGyre.ttf";

    [Fact]
    public void A_brand_font_is_used_for_a_story_it_covers()
    {
        using var fonts = new ComposeFonts(new ComposeOptions(), new StoryLayout(640, 360), Mono, Mono, "Riverside Café reopens");
        Assert.Equal("DejaVu Sans Mono", fonts.Regular.FamilyName);
        Assert.Equal("DejaVu Sans Mono", fonts.Bold.FamilyName);
    }

    [Fact]
    public void A_brand_font_without_a_glyph_the_story_needs_falls_back_to_DejaVu()
    {
        const string text = "Жуковский";
        using (var math = SKTypeface.FromFile(Math))
        using (var font = new SKFont(math))
            Assert.False(font.ContainsGlyphs(text), "the test font must lack Cyrillic for this test to mean anything");
        using var fonts = new ComposeFonts(new ComposeOptions(), new StoryLayout(640, 360), Math, null, text);
        Assert.Equal("DejaVu Sans", fonts.Regular.FamilyName);
    }

    [Fact]
    public void A_pack_without_fonts_uses_DejaVu()
    {
        using var fonts = new ComposeFonts(new ComposeOptions(), new StoryLayout(640, 360), null, null, "Title");
        Assert.Equal("DejaVu Sans", fonts.Regular.FamilyName);
    }
}
