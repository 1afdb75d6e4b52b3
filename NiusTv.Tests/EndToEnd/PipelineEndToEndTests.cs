using System.Text.Json;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Tools;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

[CollectionDefinition("nius processes", DisableParallelization = true)]
public sealed class NiusProcessCollection;

/// <summary>Stories through a real `nius node` process: published with `nius publish`, followed with
/// `nius story show --json`, the MP4 checked with ffprobe.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class PipelineEndToEndTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-e2e-").FullName;
    private string Assets => Path.Combine(_dir, "assets");
    private NodeProcess _node = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Assets, "images"));
        WriteImage(Path.Combine(Assets, "images", "wide.jpg"), 1600, 600, SKEncodedImageFormat.Jpeg, SKColors.SteelBlue);
        WriteImage(Path.Combine(Assets, "images", "tall.png"), 400, 900, SKEncodedImageFormat.Png, SKColors.DarkOrange);
        File.WriteAllBytes(Path.Combine(Assets, "images", "broken.jpg"), File.ReadAllBytes(Path.Combine(Assets, "images", "wide.jpg"))[..2000]);
        _node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Assets);
    }

    internal static void WriteImage(string path, int w, int h, SKEncodedImageFormat format, SKColor color)
    {
        using var bitmap = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color);
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawCircle(w / 2f, h / 2f, Math.Min(w, h) / 3f, paint);
        }
        using var data = bitmap.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    private string WriteStory(string name, object story)
    {
        var file = Path.Combine(_dir, name);
        File.WriteAllText(file, JsonSerializer.Serialize(story));
        return file;
    }

    [Fact]
    public async Task A_published_story_becomes_an_h264_aac_mp4_of_the_asked_size_and_length()
    {
        var file = WriteStory("harbour.json", new
        {
            id = "harbour-reopens", title = "Harbour reopens after storm repairs",
            paragraphs = new[]
            {
                "The city harbour reopened on Monday after three weeks of repairs to the storm-damaged pier.",
                "Fishing boats returned before dawn, and the first catch was sold at the market by eight.",
            },
            images = new object[]
            {
                new { uri = "images/wide.jpg", caption = "The repaired pier", paragraph = 0 },
                new { uri = "images/tall.png", caption = "Boats at dawn", paragraph = 1 },
            },
            output = new { width = 640, height = 360, fps = 25 },
        });
        var published = await _node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        Assert.Contains("accepted harbour-reopens as revision 1", published.Stdout);

        var story = await _node.WaitForAsync("harbour-reopens", NodeProcess.Finished, TimeSpan.FromMinutes(3));
        Assert.True(story.GetProperty("state").GetString() == "completed", story.ToString());
        var video = story.GetProperty("video").GetString()!;
        Assert.Equal(Path.Combine(_node.Out, "videos", "harbour-reopens.mp4"), video);
        Assert.True(File.Exists(Path.Combine(_node.Out, "videos", "harbour-reopens.jpg")));

        var probe = await MediaProbe.ProbeAsync(video);
        Assert.Equal("h264", probe.Video!.CodecName);
        Assert.Equal("aac", probe.Audio!.CodecName);
        Assert.Equal((640, 360), (probe.Video.Width, probe.Video.Height));
        Assert.Equal(25, probe.Video.FrameRate);

        var steps = story.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(NiusTv.Host.Node.NodeSteps.Pipeline.StepNames, steps.Keys);
        var workspace = Path.Combine(_node.Data, "workspaces", "harbour-reopens", "r1");
        var wav = WaveFile.Read(Path.Combine(workspace, steps["speech"].GetProperty("artifacts").GetProperty("speech.wav").GetString()!));
        // The phonemes step timed the story's words from Festival's own phones (the node's default, auto).
        var phones = NiusTv.Steps.Phonemes.PhoneTrack.Load(Path.Combine(workspace, steps["phonemes"].GetProperty("artifacts").GetProperty("phones.json").GetString()!));
        Assert.Equal("synthesizer", phones.Aligner);
        // Every artifact is named by its file: in the workspace its key is its path, and publish keeps the key of the file
        // it published. Each step wrote only what its definition declares.
        foreach (var (name, step) in steps)
            foreach (var artifact in step.GetProperty("artifacts").EnumerateObject())
            {
                Assert.True(NiusTv.Host.Node.NodeSteps.Pipeline[name].Writes(artifact.Name), $"{name} wrote '{artifact.Name}', which its definition does not declare");
                if (!Path.IsPathRooted(artifact.Value.GetString())) Assert.Equal(artifact.Name, artifact.Value.GetString());
            }
        Assert.Equal(wav.Duration, phones.Duration, 3);
        Assert.NotEmpty(phones.Words);
        Assert.Contains(phones.Phones, p => p.Phone == "AH");
        const double titleCard = 2.0;
        Assert.InRange(probe.Video.Duration!.Value, wav.Duration + titleCard - 0.25, wav.Duration + titleCard + 0.25);
        Assert.All(steps.Values, s => Assert.Equal(1, s.GetProperty("attempts").GetInt32()));

        // At the default Output:Loudness after the whole pipeline (Festival speaks at about -25 LUFS), and with the
        // captions (default "both") published beside the video as WebVTT, SRT and word timings.
        var loudness = NiusTv.Tests.Compose.LoudnessTests.Measure(video);
        Assert.InRange(loudness.Integrated, -17.0, -15.0);
        Assert.True(loudness.TruePeak <= -1.5, $"true peak {loudness.TruePeak} dBTP");
        var vtt = NiusTv.Tests.Compose.SidecarCaptionsTests.ParseVtt(await File.ReadAllTextAsync(Path.Combine(_node.Out, "videos", "harbour-reopens.vtt")));
        var srt = NiusTv.Tests.Compose.SidecarCaptionsTests.ParseSrt(await File.ReadAllTextAsync(Path.Combine(_node.Out, "videos", "harbour-reopens.srt")));
        Assert.Equal(vtt.Count, srt.Count);
        Assert.True(vtt[0].Start >= titleCard && vtt[^1].End <= probe.Audio.Duration!.Value, $"cues {vtt[0].Start}–{vtt[^1].End} s, audio {probe.Audio.Duration} s");
        Assert.Equal("The city harbour reopened on Monday", string.Join(" ", vtt[0].Lines)[.."The city harbour reopened on Monday".Length]);
        Assert.True(File.Exists(Path.Combine(_node.Out, "videos", "harbour-reopens.words.json")));

        // Publishing the same file again changes nothing; `nius stories` lists it once.
        var again = await _node.CliAsync("publish", file);
        Assert.Contains("unchanged harbour-reopens", again.Stdout);
        var list = (await _node.CliAsync("stories", "--json")).Json;
        Assert.Single(list.EnumerateArray(), s => s.GetProperty("id").GetString() == "harbour-reopens");
    }

    [Fact]
    public async Task An_image_that_does_not_decode_fails_the_story_at_init_naming_the_file()
    {
        var file = WriteStory("broken.json", new
        {
            id = "broken-image", title = "A story with a broken picture", paragraphs = new[] { "This picture was cut in half on upload." },
            images = new[] { new { uri = "images/broken.jpg", caption = "half a picture", paragraph = 0 } },
        });
        Assert.Equal(0, (await _node.CliAsync("publish", file)).ExitCode);
        var story = await _node.WaitForAsync("broken-image", NodeProcess.Finished, TimeSpan.FromMinutes(1));
        Assert.Equal("failed", story.GetProperty("state").GetString());
        Assert.Contains("images/broken.jpg", story.GetProperty("error").GetString());
        var init = story.GetProperty("steps")[0];
        Assert.Equal(("init", "failed", 1), (init.GetProperty("name").GetString(), init.GetProperty("state").GetString(), init.GetProperty("attempts").GetInt32()));
        Assert.Equal("pending", story.GetProperty("steps")[1].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Stories_page_by_cursor_newest_first_and_the_pages_together_are_the_whole_list()
    {
        foreach (var id in new[] { "page-one", "page-two", "page-three" })
        {
            var file = WriteStory(id + ".json", new
            {
                id, title = "Paging " + id, paragraphs = new[] { "This story fails at once, which is all a list needs." },
                images = new[] { new { uri = "images/broken.jpg", caption = "half a picture", paragraph = 0 } },
            });
            Assert.Equal(0, (await _node.CliAsync("publish", file)).ExitCode);
        }
        var whole = (await _node.CliAsync("stories", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var r = await _node.CliAsync(cursor is null ? ["stories", "--limit", "2", "--json"] : ["stories", "--limit", "2", "--cursor", cursor, "--json"]);
            Assert.Equal(0, r.ExitCode);
            var page = r.Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList(); // stdout stays pure JSON
            Assert.InRange(page.Count, 1, 2);
            paged.AddRange(page);
            cursor = r.Stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("more: nius stories --cursor "))?["more: nius stories --cursor ".Length..];
        } while (cursor is not null && paged.Count <= whole.Count);
        Assert.Equal(whole, paged);
        Assert.Equal("page-three", whole[0]);

        var bad = await _node.CliAsync("stories", "--limit", "0");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("limit must be between 1 and 1000", bad.Stderr);
        var forged = await _node.CliAsync("stories", "--limit", "2", "--cursor", "forged");
        Assert.Contains("cursor 'forged' is not one this list gave out", forged.Stderr);
    }

    public static TheoryData<string, string, string> BadStories() => new()
    {
        { "malformed", "{\"id\": \"x\", \"title\": ", "" },
        { "truncated", "{\"id\":\"ok-id\",\"title\":\"T\",\"paragraphs\":[\"One.\"", "" },
        { "missing-title", """{"id":"no-title","paragraphs":["One."]}""", "title" },
        { "wrong-type", """{"id":"typed","title":"T","paragraphs":"One."}""", "paragraphs" },
        { "bad-id", """{"id":"Bad_ID","title":"T","paragraphs":["One."]}""", "id" },
        { "absolute-uri", """{"id":"abs","title":"T","paragraphs":["One."],"images":[{"uri":"/etc/passwd","paragraph":0}]}""", "images[0].uri" },
        { "dotdot-uri", """{"id":"dots","title":"T","paragraphs":["One."],"images":[{"uri":"images/../../secret.jpg","paragraph":0}]}""", "images[0].uri" },
        { "http-uri", """{"id":"http","title":"T","paragraphs":["One."],"images":[{"uri":"http://example.com/a.jpg","paragraph":0}]}""", "images[0].uri" },
        { "file-uri", """{"id":"file","title":"T","paragraphs":["One."],"images":[{"uri":"file:///a.jpg","paragraph":0}]}""", "images[0].uri" },
        { "paragraph-range", """{"id":"range","title":"T","paragraphs":["One."],"images":[{"uri":"images/wide.jpg","paragraph":3}]}""", "images[0].paragraph" },
        { "priority", """{"id":"prio","title":"T","paragraphs":["One."],"priority":"urgent"}""", "priority" },
        { "captions", """{"id":"capt","title":"T","paragraphs":["One."],"captions":"subtitles"}""", "captions" },
        { "empty-paragraphs", """{"id":"empty","title":"T","paragraphs":[]}""", "paragraphs" },
        { "odd-size", """{"id":"odd","title":"T","paragraphs":["One."],"output":{"width":641,"height":360,"fps":25}}""", "output.width" },
        { "tiny", """{"id":"tiny","title":"T","paragraphs":["One."],"output":{"width":100,"height":60,"fps":25}}""", "output.width" },
        { "huge", """{"id":"huge","title":"T","paragraphs":["One."],"output":{"width":4096,"height":2160,"fps":25}}""", "output.width" },
        { "fps", """{"id":"fps","title":"T","paragraphs":["One."],"output":{"width":640,"height":360,"fps":61}}""", "output.fps" },
        // 5,001 words of prose: five paragraphs of 1,000 in ten-word sentences (each within the per-paragraph bounds), and one more.
        { "too-long", "{\"id\":\"long\",\"title\":\"T\",\"paragraphs\":[" + string.Join(',', Enumerable.Repeat("\"" + string.Join(' ',
            Enumerable.Repeat(string.Join(' ', Enumerable.Repeat("word", 10)) + ".", 100)) + "\"", 5)) + ",\"Over.\"]}", "paragraphs" },
    };

    [Theory]
    [MemberData(nameof(BadStories))]
    public async Task Bad_input_is_rejected_naming_the_field_and_changes_nothing(string name, string json, string field)
    {
        var file = Path.Combine(_dir, name + ".json");
        await File.WriteAllTextAsync(file, json);
        var cli = await _node.CliAsync("publish", file);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains(file, cli.Stderr);
        if (field.Length > 0) Assert.Contains(field + ":", cli.Stderr);

        // The node's own validation, for clients that skip the CLI's: 400 naming the field, nothing persisted.
        using var http = new HttpClient();
        var response = await http.PostAsync($"http://{_node.Admin}/api/stories", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (field.Length > 0) Assert.Contains($"\"field\":\"{field}\"", body.Replace(" ", ""));

        var list = await _node.CliAsync("stories", "--json");
        Assert.Equal(0, list.ExitCode);
        Assert.Empty(list.Json.EnumerateArray());
        Assert.Empty(Directory.Exists(Path.Combine(_node.Data, "workspaces")) ? Directory.GetDirectories(Path.Combine(_node.Data, "workspaces")) : []);
    }

    [Fact]
    public async Task A_story_file_that_does_not_exist_is_named()
    {
        var r = await _node.CliAsync("publish", Path.Combine(_dir, "nope.json"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nope.json: the file does not exist", r.Stderr);
    }

    [Fact]
    public async Task The_cli_says_so_when_no_node_answers()
    {
        var r = await Nius.RunAsync(["stories", "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no NiusTv node answers at", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
