using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Cloud;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using NiusTv.Tests.Storage;
using Xunit;

namespace NiusTv.Tests.Compose;

/// <summary>Captions as files beside the video: WebVTT and SRT parsed strictly, the word timings, what each
/// <c>captions</c> choice produces, and publishing them to the local and the GCS store.</summary>
[Trait("Speed", "Slow")]
public sealed class SidecarCaptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal sealed record Cue(double Start, double End, IReadOnlyList<string> Lines);

    private static readonly Regex VttTiming = new(@"^(\d{2}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d)\.(\d{3})$");
    private static readonly Regex SrtTiming = new(@"^(\d{2}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d),(\d{3})$");

    private static double Seconds(Match m, int g) =>
        int.Parse(m.Groups[g].Value) * 3600 + int.Parse(m.Groups[g + 1].Value) * 60 + int.Parse(m.Groups[g + 2].Value) + int.Parse(m.Groups[g + 3].Value) / 1000.0;

    /// <summary>WebVTT as the W3C grammar has it for what we write: "WEBVTT", a blank line, then blocks of an
    /// optional identifier, a timing line, one or more non-empty text lines, and a blank line. No markup may
    /// appear unescaped. Anything else fails.</summary>
    internal static IReadOnlyList<Cue> ParseVtt(string text)
    {
        Assert.DoesNotContain('\r', text);
        var lines = text.Split('\n');
        Assert.Equal("WEBVTT", lines[0]);
        Assert.Equal("", lines[1]);
        var cues = new List<Cue>();
        var i = 2;
        while (i < lines.Length && !(i == lines.Length - 1 && lines[i] == ""))
        {
            if (!VttTiming.IsMatch(lines[i]))
            {
                Assert.False(string.IsNullOrWhiteSpace(lines[i]), $"line {i + 1}: an empty line where a cue should start");
                Assert.DoesNotContain("-->", lines[i]);
                i++; // identifier
            }
            var m = VttTiming.Match(lines[i]);
            Assert.True(m.Success, $"line {i + 1} is not a WebVTT timing line: '{lines[i]}'");
            i++;
            var textLines = new List<string>();
            while (i < lines.Length && lines[i] != "")
            {
                Assert.DoesNotContain("-->", lines[i]);
                Assert.DoesNotMatch(@"<|&(?!amp;|lt;|gt;)", lines[i]);
                textLines.Add(lines[i].Replace("&lt;", "<").Replace("&gt;", ">").Replace("&amp;", "&"));
                i++;
            }
            Assert.True(textLines.Count > 0, $"the cue ending at line {i} has no text");
            Assert.True(i < lines.Length, "the last cue is not followed by a blank line");
            i++;
            cues.Add(new Cue(Seconds(m, 1), Seconds(m, 5), textLines));
        }
        return cues;
    }

    /// <summary>SubRip: blocks of a sequence number (1, 2, 3 …), a timing line with decimal commas, text lines, a blank line.</summary>
    internal static IReadOnlyList<Cue> ParseSrt(string text)
    {
        Assert.DoesNotContain('\r', text);
        var lines = text.Split('\n');
        var cues = new List<Cue>();
        var i = 0;
        while (i < lines.Length && !(i == lines.Length - 1 && lines[i] == ""))
        {
            Assert.Equal((cues.Count + 1).ToString(CultureInfo.InvariantCulture), lines[i]);
            var m = SrtTiming.Match(lines[i + 1]);
            Assert.True(m.Success, $"line {i + 2} is not an SRT timing line: '{lines[i + 1]}'");
            i += 2;
            var textLines = new List<string>();
            while (i < lines.Length && lines[i] != "") textLines.Add(lines[i++]);
            Assert.True(textLines.Count > 0, $"SRT cue {cues.Count + 1} has no text");
            Assert.True(i < lines.Length, "the last cue is not followed by a blank line");
            i++;
            cues.Add(new Cue(Seconds(m, 1), Seconds(m, 5), textLines));
        }
        return cues;
    }

    private static void AssertTimedWithin(IReadOnlyList<Cue> cues, double audioSeconds)
    {
        Assert.NotEmpty(cues);
        for (var n = 0; n < cues.Count; n++)
        {
            Assert.True(cues[n].Start >= 0 && cues[n].Start < cues[n].End, $"cue {n + 1} runs {cues[n].Start}–{cues[n].End}");
            Assert.True(cues[n].End <= audioSeconds + 1e-9, $"cue {n + 1} ends at {cues[n].End}, after the audio ({audioSeconds:0.000} s)");
            if (n > 0) Assert.True(cues[n].Start >= cues[n - 1].End, $"cue {n + 1} starts at {cues[n].Start}, before cue {n} ends at {cues[n - 1].End}");
        }
    }

    private static async Task<(SyntheticWorkspace Ws, StepOutput Output)> Compose(StoryCaptions captions, int width = 320, int height = 180)
    {
        // 30 fps and 3.06 s of speech: 152 frames, a video 5.0667 s long: its end is not a whole millisecond and
        // rounds up past the audio, which ends on a whole AAC frame.
        var ws = new SyntheticWorkspace(width, height, 30, wavSeconds: 3.06);
        ws.SetStory(ws.Story with { Captions = captions });
        var output = await new ComposeStep(new ComposeOptions()).RunAsync(ws.Input(), new Progress<double>(), Ct);
        return (ws, output);
    }

    [Fact]
    public async Task Vtt_and_srt_parse_strictly_hold_every_word_and_their_cues_lie_within_the_audio_without_overlapping()
    {
        var (ws, output) = await Compose(StoryCaptions.Both);
        using var _ = ws;
        Assert.Equal(NiusTv.Steps.Artifacts.CaptionsVtt.Name, output.Artifacts[NiusTv.Steps.Artifacts.CaptionsVtt.Name]);
        Assert.Equal(NiusTv.Steps.Artifacts.CaptionsSrt.Name, output.Artifacts[NiusTv.Steps.Artifacts.CaptionsSrt.Name]);
        Assert.Equal(NiusTv.Steps.Artifacts.CaptionWords.Name, output.Artifacts[NiusTv.Steps.Artifacts.CaptionWords.Name]);

        var probe = await MediaProbe.ProbeAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name));
        var audio = Assert.Single(probe.Streams, s => s.CodecType == "audio").Duration!.Value;
        var vtt = ParseVtt(await File.ReadAllTextAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionsVtt.Name), Ct));
        var srt = ParseSrt(await File.ReadAllTextAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionsSrt.Name), Ct));
        AssertTimedWithin(vtt, audio);
        AssertTimedWithin(srt, audio);
        Assert.Equal(vtt.Select(c => (c.Start, c.End, string.Join("\n", c.Lines))), srt.Select(c => (c.Start, c.End, string.Join("\n", c.Lines))));

        // Every written word, in order, as the story has it ("Dr.", "$5", "2027."), nothing lost to squeezing.
        var written = SyntheticWorkspace.Paragraphs.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(written, vtt.SelectMany(c => c.Lines).SelectMany(l => l.Split(' ')).ToList());
        Assert.All(vtt, c => Assert.All(c.Lines, l => Assert.True(l.Length <= SidecarCaptions.MaxLineChars, $"'{l}' is longer than a caption line")));
        // Speech starts after the title card: no cue before it.
        Assert.True(vtt[0].Start >= new ComposeOptions().TitleCardSeconds);

        using var words = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionWords.Name), Ct));
        var list = words.RootElement.EnumerateArray().ToList();
        Assert.Equal(written, list.Select(w => w.GetProperty("word").GetString()));
        var previous = 0.0;
        foreach (var w in list)
        {
            Assert.Equal(["word", "start", "end"], w.EnumerateObject().Select(p => p.Name));
            var (start, end) = (w.GetProperty("start").GetDouble(), w.GetProperty("end").GetDouble());
            Assert.True(start >= previous && start <= end && end <= audio + 1e-9, $"{w}: not within the audio in order");
            previous = start;
        }
        // The word timings follow the speech: "bridge." is among the last spoken, "Dr." the first.
        Assert.True(list[^1].GetProperty("start").GetDouble() > list[0].GetProperty("end").GetDouble() + ws.WavSeconds / 2);
    }

    [Theory]
    [InlineData(StoryCaptions.Burned, false)]
    [InlineData(StoryCaptions.None, false)]
    [InlineData(StoryCaptions.Sidecar, true)]
    public async Task Each_captions_choice_writes_caption_files_only_when_it_asks_for_them(StoryCaptions captions, bool files)
    {
        var (ws, output) = await Compose(captions);
        using var _ = ws;
        Assert.Equal(files, output.Artifacts.ContainsKey(NiusTv.Steps.Artifacts.CaptionsVtt.Name));
        Assert.Equal(files, output.Artifacts.ContainsKey(NiusTv.Steps.Artifacts.CaptionsSrt.Name));
        Assert.Equal(files, output.Artifacts.ContainsKey(NiusTv.Steps.Artifacts.CaptionWords.Name));
        Assert.Equal(files, File.Exists(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionsVtt.Name)));
    }

    /// <summary>The caption band of one frame: burned captions draw a dark box with white text there, sidecar ones do not.</summary>
    [Fact]
    public async Task Sidecar_captions_are_not_drawn_into_the_picture_and_burned_ones_are()
    {
        var (burnedWs, _) = await Compose(StoryCaptions.Burned, 640, 360);
        var (sidecarWs, _) = await Compose(StoryCaptions.Sidecar, 640, 360);
        using var a = burnedWs;
        using var b = sidecarWs;
        var layout = new StoryLayout(640, 360);
        var t = new ComposeOptions().TitleCardSeconds + 0.6;
        double BandBrightPixels(SyntheticWorkspace ws)
        {
            var png = Path.Combine(ws.Dir, "frame.png");
            FrameGrab.ExtractFrame(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name), t, png);
            using var bmp = SkiaSharp.SKBitmap.Decode(png);
            var band = layout.CaptionBand;
            var bright = 0;
            for (var y = band.Top; y < band.Bottom; y++)
                for (var x = band.Left; x < band.Right; x++)
                    if (bmp.GetPixel(x, y) is var c && c.Red > 235 && c.Green > 235 && c.Blue > 235) bright++;
            return bright;
        }
        var burned = BandBrightPixels(burnedWs);
        var sidecar = BandBrightPixels(sidecarWs);
        Assert.True(burned > 40, $"the burned caption left only {burned} white pixels in the caption band");
        Assert.True(sidecar < burned / 4, $"with sidecar captions the band still has {sidecar} white pixels (burned: {burned})");
    }

    [Fact]
    public void Text_that_looks_like_markup_is_escaped_in_WebVTT_and_kept_in_SRT()
    {
        var story = new Story("markup", "Markup", ["Rates <rise> & fall --> today."], [], "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
        var timings = SyntheticWorkspace.BuildTimings(3.0) with { Paragraphs = [new Steps.Speech.ParagraphSpan(0, 0.1, 2.9)], Words = [] };
        var captions = SidecarCaptions.Build(story, timings, 2.0, 5.0);
        var vtt = ParseVtt(captions.ToWebVtt());
        Assert.Equal("Rates <rise> & fall --> today.", string.Join(" ", vtt.SelectMany(c => c.Lines)));
        Assert.Contains("&lt;rise&gt; &amp; fall --&gt; today.", captions.ToWebVtt());
        AssertTimedWithin(vtt, 5.0);
        AssertTimedWithin(ParseSrt(captions.ToSrt()), 5.0);
    }

    [Fact]
    public async Task Publish_puts_the_caption_files_beside_the_video_in_a_local_folder()
    {
        var (ws, output) = await Compose(StoryCaptions.Both);
        using var _ = ws;
        using var temp = new TempFolder();
        var input = new StepInput(ws.Story, 1, ws.Dir, output.Artifacts);
        var published = await new PublishStep(new LocalFolderVideoStore(temp.Path)).RunAsync(input, new Progress<double>(), Ct);

        var videos = Path.Combine(temp.Path, "videos");
        Assert.Equal(["test-story.jpg", "test-story.mp4", "test-story.srt", "test-story.vtt", "test-story.words.json"],
            Directory.GetFiles(videos).Select(Path.GetFileName).Order());
        Assert.Equal(Path.Combine(videos, "test-story.vtt"), published.Artifacts["captions.vtt"]);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionsVtt.Name), Ct), await File.ReadAllTextAsync(Path.Combine(videos, "test-story.vtt"), Ct));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.CaptionsSrt.Name), Ct), await File.ReadAllTextAsync(Path.Combine(videos, "test-story.srt"), Ct));
    }

    [Fact]
    public async Task A_revision_without_caption_files_removes_the_earlier_revisions_from_the_store()
    {
        var (ws, output) = await Compose(StoryCaptions.Both);
        using var _ = ws;
        using var temp = new TempFolder();
        var step = new PublishStep(new LocalFolderVideoStore(temp.Path));
        await step.RunAsync(new StepInput(ws.Story, 1, ws.Dir, output.Artifacts), new Progress<double>(), Ct);
        Assert.True(File.Exists(Path.Combine(temp.Path, "videos", "test-story.vtt")));

        var burnedOnly = output.Artifacts.Where(a => a.Key == NiusTv.Steps.Artifacts.Video.Name || a.Key == NiusTv.Steps.Artifacts.Poster.Name).ToDictionary();
        var published = await step.RunAsync(new StepInput(ws.Story with { Captions = StoryCaptions.Burned }, 2, ws.Dir, burnedOnly), new Progress<double>(), Ct);
        Assert.Equal(["test-story.jpg", "test-story.mp4"], Directory.GetFiles(Path.Combine(temp.Path, "videos")).Select(Path.GetFileName).Order());
        Assert.Equal(["poster.jpg", "video.mp4"], published.Artifacts.Keys.Order());
    }

    [Fact]
    public async Task Publish_puts_the_caption_files_beside_the_video_in_Cloud_Storage_with_their_content_types()
    {
        var (ws, output) = await Compose(StoryCaptions.Sidecar);
        using var _ = ws;
        await using var server = await FakeGcsServer.StartAsync();
        var store = new GcsVideoStore(GcsClients.Create(server.Endpoint), "out-bucket", "nius", new CloudRetry(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200)));
        await new PublishStep(store).RunAsync(new StepInput(ws.Story, 1, ws.Dir, output.Artifacts), new Progress<double>(), Ct);

        var vtt = server.Get("out-bucket", "nius/videos/test-story.vtt");
        var srt = server.Get("out-bucket", "nius/videos/test-story.srt");
        var words = server.Get("out-bucket", "nius/videos/test-story.words.json");
        Assert.NotNull(server.Get("out-bucket", "nius/videos/test-story.mp4"));
        Assert.NotNull(vtt);
        Assert.NotNull(srt);
        Assert.NotNull(words);
        Assert.StartsWith("text/vtt", vtt!.ContentType);
        Assert.StartsWith("application/x-subrip", srt!.ContentType);
        Assert.StartsWith("application/json", words!.ContentType);
        ParseVtt(System.Text.Encoding.UTF8.GetString(vtt.Data));
        ParseSrt(System.Text.Encoding.UTF8.GetString(srt.Data));

        // The next revision has no caption files: the store no longer offers the old ones.
        var burnedOnly = output.Artifacts.Where(a => a.Key == NiusTv.Steps.Artifacts.Video.Name || a.Key == NiusTv.Steps.Artifacts.Poster.Name).ToDictionary();
        await new PublishStep(store).RunAsync(new StepInput(ws.Story with { Captions = StoryCaptions.None }, 2, ws.Dir, burnedOnly), new Progress<double>(), Ct);
        Assert.Null(server.Get("out-bucket", "nius/videos/test-story.vtt"));
        Assert.Null(server.Get("out-bucket", "nius/videos/test-story.srt"));
        Assert.Null(server.Get("out-bucket", "nius/videos/test-story.words.json"));
        Assert.NotNull(server.Get("out-bucket", "nius/videos/test-story.mp4"));
    }
}
