using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Footage;
using NiusTv.Steps.Speech;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Render.Footage;

/// <summary>The footage renderer on a clip the tests make themselves (the default presenter animated by the warp
/// renderer), keyed over a backdrop, measured on anchor.mkv with dlib as on the real clip; and the bad clips a
/// presenter folder can hold.</summary>
[Trait("Speed", "Slow")]
public sealed class SyntheticFootageTests(SyntheticFootageTests.Clip clip) : IClassFixture<SyntheticFootageTests.Clip>
{
    public sealed class Clip : IAsyncLifetime
    {
        public TempFolder Dir { get; } = new();
        public string Path { get; private set; } = "";

        public async ValueTask InitializeAsync() =>
            Path = await FootageTestSupport.SyntheticClip(Dir.Combine("talking.mkv"), TestContext.Current.CancellationToken);

        public ValueTask DisposeAsync()
        {
            Dir.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static void Say(string line) => TestContext.Current.SendDiagnosticMessage(line);

    [Fact]
    public async Task A_synthetic_talking_clip_becomes_an_anchor_whose_mouth_follows_the_intended_one()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        FootageTestSupport.Presenter(root, "synthetic", clip.Path);
        var presenter = FootageTestSupport.Library(root).Reference("synthetic");
        Assert.NotNull(presenter.Clip);
        Assert.True(presenter.Clip!.Analysis.Candidates.Length >= 245, $"a face in {presenter.Clip.Analysis.Index.FacesFound} of 250 synthetic frames");
        var (wav, phones) = await FootageTestSupport.Speak([FootageTestSupport.UntunedStory[0]], dir.Path, ct);
        var track = LandmarkAnimator.Animate(presenter, phones, wav.Duration, 30, "synthetic-story", LipSync.LoudnessEnvelope(wav, 30));
        Assert.Equal(track.Frames.Length, track.ClipFrames!.Length);
        var anchor = dir.Combine(NiusTv.Steps.Artifacts.Anchor.Name);
        var rendered = await FootageTestSupport.RenderAnchor(presenter, track, anchor, ct);
        var seen = FootageTestSupport.Redetect(anchor);
        var r = FootageTestSupport.PearsonWhereBoth(FootageTestSupport.Opening(seen), FootageTestSupport.Opening(track));
        Say($"synthetic: face in {seen.FacesFound} of {seen.Count} rendered frames; re-detected opening vs intended r = {r:0.000}; " +
            $"edge gradient {rendered.EdgeGradient:0.00} vs {rendered.EdgeGradientBase:0.00} untouched");
        Assert.True(seen.FacesFound >= 0.99 * seen.Count, $"a face in {seen.FacesFound} of {seen.Count} frames only");
        Assert.True(r >= 0.8, $"re-detected opening follows the intended one with r = {r:0.000} only");
        Assert.True(rendered.EdgeGradient <= 1.25 * rendered.EdgeGradientBase + 0.5, "a seam shows on the mask edge");
    }

    [Fact]
    public async Task The_landmarks_and_render_steps_draw_a_clip_presenter_from_its_footage_with_the_warp_renderer_configured()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        FootageTestSupport.Presenter(root, "synthetic", clip.Path);
        var library = FootageTestSupport.Library(root);
        var workspace = dir.Folder("ws");
        var (_, phones) = await FootageTestSupport.Speak(["Good evening."], workspace, ct);
        phones.Save(System.IO.Path.Combine(workspace, NiusTv.Steps.Artifacts.Phones.Name));
        var story = new Steps.Stories.Story("clip-story", "A clip story", ["Good evening."], [], "synthetic", "default",
            Steps.Stories.StoryPriority.Normal, new Steps.Stories.StoryOutput(1024, 512, 30));
        var landmarks = await new LandmarksStep(library).RunAsync(new StepInput(story, 1, workspace, new Dictionary<string, string>
        {
            [NiusTv.Steps.Artifacts.Speech.Name] = NiusTv.Steps.Artifacts.Speech.Name, [NiusTv.Steps.Artifacts.Phones.Name] = NiusTv.Steps.Artifacts.Phones.Name,
        }), new ProgressLog(), ct);
        var track = LandmarkTrack.Load(System.IO.Path.Combine(workspace, landmarks.Artifacts[NiusTv.Steps.Artifacts.Landmarks.Name]));
        Assert.NotNull(track.ClipFrames);
        Assert.Equal(320, track.PhotoWidth);
        var render = new RenderStep(new Steps.Render.Warp.WarpRenderer(), library, null, clipRenderer: new FootageRenderer());
        var output = await render.RunAsync(new StepInput(story, 1, workspace, new Dictionary<string, string>
        {
            [NiusTv.Steps.Artifacts.Landmarks.Name] = NiusTv.Steps.Artifacts.Landmarks.Name,
        }), new ProgressLog(), ct);
        var probe = await Steps.Tools.MediaProbe.ProbeAsync(System.IO.Path.Combine(workspace, output.Artifacts[NiusTv.Steps.Artifacts.Anchor.Name]), ct);
        Assert.Equal((304, 406), (probe.Video!.Width!.Value, probe.Video.Height!.Value));
        var frames = RenderStepTests.DecodeFrames(System.IO.Path.Combine(workspace, NiusTv.Steps.Artifacts.Anchor.Name), 304, 406);
        Assert.Equal(track.Frames.Length, frames.Count);
    }

    [Fact]
    public async Task A_keyed_clip_stands_in_front_of_its_backdrop_without_a_trace_of_the_screen()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        // The synthetic clip's surroundings are the photo's; key them out with the photo's own top-left colour.
        var keyColour = TopLeftColour(clip.Path);
        FootageTestSupport.Presenter(root, "keyed", clip.Path, new() { ["key"] = keyColour, ["keyTolerance"] = 0.2 });
        var presenter = FootageTestSupport.Library(root).Reference("keyed");
        var track = LandmarkAnimator.Animate(presenter, Landmarks.TestFaces.Track("SIL:0.2", "AA:0.3", "M:0.1", "IY:0.3", "SIL:0.2"), 1.1, 30, "keyed");
        var (w, h) = RenderStep.SlotSize(1024, 512);
        using var session = new FootageRenderer().Open(new RenderRequest("keyed", Steps.Stories.StoryPriority.Normal, presenter, track, w, h), ct);
        session.Draw(0);
        var pixels = session.Pixels.ToArray();
        // The top-left corner is screen in the clip: it must now be the backdrop gradient (dark blue-grey), not the key.
        var (b, g, rr) = (pixels[0], pixels[1], pixels[2]);
        Say($"keyed: corner BGR {b},{g},{rr} for key {keyColour}");
        Assert.InRange(rr, 0x08, 0x40);
        Assert.InRange(b, 0x18, 0x70);
    }

    private static string TopLeftColour(string video)
    {
        var info = ClipVideo.Probe(video);
        string colour = "";
        ClipVideo.Decode(video, info, 0, null, (_, rgb) => { colour = $"#{rgb[0]:x2}{rgb[1]:x2}{rgb[2]:x2}"; return false; });
        return colour;
    }

    [Fact]
    public void A_missing_clip_is_named_at_start_up_and_when_used()
    {
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        Directory.CreateDirectory(System.IO.Path.Combine(root, "gone"));
        File.WriteAllText(System.IO.Path.Combine(root, "gone", "presenter.json"), """{ "name": "gone", "clip": "gone.mp4" }""");
        var library = FootageTestSupport.Library(root);
        var problem = Assert.Single(library.Problems());
        Assert.Contains("presenter 'gone'", problem);
        Assert.Contains("gone.mp4", problem);
        var e = Assert.Throws<StepFailure>(() => library.Reference("gone"));
        Assert.False(e.Transient);
        Assert.Contains("clip", e.Message);
        Assert.Contains("is missing", e.Message);
    }

    [Fact]
    public void An_undecodable_clip_is_named_at_start_up_and_when_used()
    {
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        var bad = dir.Combine("broken.mp4");
        File.WriteAllText(bad, "this is not a video at all");
        FootageTestSupport.Presenter(root, "broken", bad);
        var library = FootageTestSupport.Library(root);
        var problem = Assert.Single(library.Problems());
        Assert.Contains("presenter 'broken'", problem);
        Assert.Contains("broken.mp4 is not a video this node can decode", problem);
        var e = Assert.Throws<StepFailure>(() => library.Reference("broken"));
        Assert.False(e.Transient);
        Assert.Contains("broken.mp4 is not a video this node can decode", e.Message);
    }

    [Fact]
    public async Task A_clip_without_a_face_is_refused_naming_presenter_and_file()
    {
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        var pattern = dir.Combine("pattern.mkv");
        var ffmpeg = await new Steps.Tools.ExternalTool("ffmpeg").RunAsync(
            ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-preset", "ultrafast", pattern],
            TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(0, ffmpeg.ExitCode);
        FootageTestSupport.Presenter(root, "faceless", pattern);
        var library = FootageTestSupport.Library(root);
        Assert.Empty(library.Problems()); // nothing known until the index is built
        var e = Assert.Throws<StepFailure>(() => library.Reference("faceless"));
        Assert.False(e.Transient);
        Assert.Contains("presenter 'faceless'", e.Message);
        Assert.Contains("no usable face in the clip", e.Message);
        Assert.Contains("pattern.mkv", e.Message);
    }

    [Fact]
    public void A_key_that_is_not_a_colour_is_a_start_up_problem()
    {
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        FootageTestSupport.Presenter(root, "purple", clip.Path, new() { ["key"] = "purple" });
        var problem = Assert.Single(FootageTestSupport.Library(root).Problems());
        Assert.Contains("\"key\"", problem);
        Assert.Contains("blue, green or #RRGGBB", problem);
    }

    [Fact]
    public async Task Presenter_add_copies_the_clip_builds_the_index_and_reports_the_coverage_as_json()
    {
        using var dir = new TempFolder();
        var root = dir.Folder("presenters");
        var env = new Dictionary<string, string> { ["NIUSTV__Presenters__Root"] = root };
        var add = await Nius.RunAsync(["presenter", "add", "synthetic", "--clip", clip.Path, "--key", "green", "--from", "1", "--json",
            "--data", dir.Combine("data")], TimeSpan.FromMinutes(2), environment: env);
        Assert.True(add.ExitCode == 0, add.Stderr);
        var json = add.Json;
        Assert.Equal("clip", json.GetProperty("kind").GetString());
        var report = json.GetProperty("report");
        Assert.Equal(225, report.GetProperty("frames").GetInt32());
        Assert.True(report.GetProperty("facePercent").GetDouble() > 95);
        Assert.Equal(6, report.GetProperty("mouths").GetArrayLength());
        Assert.True(File.Exists(System.IO.Path.Combine(root, "synthetic", "talking.mkv")));
        var manifest = File.ReadAllText(System.IO.Path.Combine(root, "synthetic", "presenter.json"));
        Assert.Contains("\"key\": \"green\"", manifest);

        var show = await Nius.RunAsync(["presenter", "show", "synthetic", "--data", dir.Combine("data")], environment: env);
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Contains("frames with a face:", show.Stdout);
        Assert.Contains("the clip lacks:", show.Stdout);

        var missing = await Nius.RunAsync(["presenter", "add", "nope", "--clip", dir.Combine("nowhere.mp4"), "--data", dir.Combine("data")], environment: env);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("nowhere.mp4", missing.Stderr);
        Assert.False(Directory.Exists(System.IO.Path.Combine(root, "nope")));
    }
}
