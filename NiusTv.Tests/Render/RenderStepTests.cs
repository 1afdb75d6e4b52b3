using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using Xunit;

namespace NiusTv.Tests.Render;

[Trait("Speed", "Slow")]
public sealed class RenderStepTests
{
    internal static Story Story(int width = 1024, int height = 512, int fps = 30) =>
        new("anchor-test", "A story", ["Words."], [], "default", "default", StoryPriority.Normal, new StoryOutput(width, height, fps));

    /// <summary>A landmarks.json whose mouth opens and closes once a second.</summary>
    internal static LandmarkTrack Talking(int frames, int fps = 30)
    {
        var presenter = RenderTestSupport.DefaultPresenter();
        return RenderTestSupport.Track(presenter, fps, Enumerable.Range(0, frames)
            .Select(i => RenderTestSupport.OpenMouth(presenter.Face.Points, (float)(5 - 5 * Math.Cos(2 * Math.PI * i / fps)))).ToArray());
    }

    internal static StepInput Input(Story story, string workspace, LandmarkTrack track)
    {
        track.Save(Path.Combine(workspace, NiusTv.Steps.Artifacts.Landmarks.Name));
        return new StepInput(story, 1, workspace, new Dictionary<string, string> { [NiusTv.Steps.Artifacts.Landmarks.Name] = NiusTv.Steps.Artifacts.Landmarks.Name });
    }

    /// <summary>Decodes every frame of a video into BGRA frames.</summary>
    internal static List<byte[]> DecodeFrames(string video, int width, int height)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "bgra", "-" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        var frames = new List<byte[]>();
        var stdout = p.StandardOutput.BaseStream;
        while (true)
        {
            var frame = new byte[width * height * 4];
            var read = stdout.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false);
            if (read < frame.Length) break;
            frames.Add(frame);
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, errors.Result);
        return frames;
    }

    [Fact]
    public async Task Writes_an_encoded_anchor_segment_at_slot_size_with_one_frame_per_landmark_frame()
    {
        using var dir = new TempFolder();
        var story = Story();
        var track = Talking(45);
        var progress = new ProgressLog();
        var step = new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null);
        var output = await step.RunAsync(Input(story, dir.Path, track), progress, TestContext.Current.CancellationToken);

        Assert.Equal(NiusTv.Steps.Artifacts.Anchor.Name, output.Artifacts[NiusTv.Steps.Artifacts.Anchor.Name]);
        Assert.Equal("warp", step.Backend);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.part.*"));
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.True(progress.Values.Zip(progress.Values.Skip(1)).All(p => p.Item1 <= p.Item2), "progress must not go backwards");
        // Nothing per frame on disk: the workspace holds the landmarks and the segment only.
        Assert.Equal(["anchor.mkv", "landmarks.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());

        var anchor = Path.Combine(dir.Path, NiusTv.Steps.Artifacts.Anchor.Name);
        var (w, h) = RenderStep.SlotSize(1024, 512);
        var probe = await MediaProbe.ProbeAsync(anchor);
        var video = Assert.Single(probe.Streams);
        Assert.Equal(("h264", w, h, 30.0), (video.CodecName, video.Width, video.Height, video.FrameRate));
        var frames = DecodeFrames(anchor, w, h);
        Assert.Equal(track.Frames.Length, frames.Count);

        // Lossless: the decoded frames are the rendered ones.
        using var session = new WarpRenderer().Open(new RenderRequest(story.Id, story.Priority, RenderTestSupport.DefaultPresenter(), track, w, h));
        foreach (var i in new[] { 0, 15, 44 })
        {
            session.Draw(track.Frames[i]);
            var diff = RenderTestSupport.MeanAbsDifference(session.Pixels.Span, frames[i]);
            Assert.True(diff < 0.01, $"frame {i}: decoded differs from rendered by {diff:0.00} levels");
        }
    }

    [Fact]
    public async Task The_2048x1024_slot_has_an_odd_height_and_still_encodes()
    {
        using var dir = new TempFolder();
        var (w, h) = RenderStep.SlotSize(2048, 1024);
        Assert.Equal(1, h % 2); // 4:2:0 would refuse this size
        var step = new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null);
        await step.RunAsync(Input(Story(2048, 1024, 60), dir.Path, Talking(8, 60)), new ProgressLog(), TestContext.Current.CancellationToken);
        var video = (await MediaProbe.ProbeAsync(Path.Combine(dir.Path, NiusTv.Steps.Artifacts.Anchor.Name))).Video!;
        Assert.Equal((w, h, 60.0), (video.Width, video.Height, video.FrameRate));
        Assert.Equal(8, DecodeFrames(Path.Combine(dir.Path, NiusTv.Steps.Artifacts.Anchor.Name), w, h).Count);
    }

    [Fact]
    public async Task Unreadable_or_empty_landmarks_and_unknown_presenters_are_permanent_failures()
    {
        using var dir = new TempFolder();
        var step = new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null);
        var ct = TestContext.Current.CancellationToken;

        var input = Input(Story(), dir.Path, Talking(3));
        File.WriteAllText(Path.Combine(dir.Path, NiusTv.Steps.Artifacts.Landmarks.Name), "{\"presenter\": \"default\", \"fps\": 30, \"frames\": [[[1, 2]");
        var broken = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(input, new ProgressLog(), ct));
        Assert.False(broken.Transient);
        Assert.Contains("landmarks.json", broken.Message);

        var empty = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(Input(Story(), dir.Path, Talking(0)), new ProgressLog(), ct));
        Assert.Contains("no frames", empty.Message);

        var stranger = Story() with { Presenter = "nobody" };
        var unknown = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(Input(stranger, dir.Path, Talking(3)), new ProgressLog(), ct));
        Assert.Contains("nobody", unknown.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, NiusTv.Steps.Artifacts.Anchor.Name)));

        var missing = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(
            new StepInput(Story(), 1, dir.Path, new Dictionary<string, string>()), new ProgressLog(), ct));
        Assert.Contains("landmarks", missing.Message);
    }

    [Fact]
    public async Task Ffmpeg_missing_fails_permanently_and_leaves_no_segment()
    {
        using var dir = new TempFolder();
        var step = new RenderStep(new WarpRenderer(), RenderTestSupport.Library, admission: null,
            new AnchorEncoding { Ffmpeg = "ffmpeg-that-is-not-installed" });
        var failure = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(Input(Story(), dir.Path, Talking(3)), new ProgressLog(),
            TestContext.Current.CancellationToken));
        Assert.False(failure.Transient);
        Assert.Empty(Directory.GetFiles(dir.Path, "anchor*"));
    }

    /// <summary>A renderer that takes the GPU (as pix2pixHD does): it draws the warp's frames but says it needs
    /// a grant, and records whether it held one while it ran.</summary>
    private sealed class GpuRenderer(GrantLog log) : IRenderer
    {
        private readonly WarpRenderer _warp = new();
        public string Name => "gpu-test";
        public bool NeedsGpu => true;

        public Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress, CancellationToken ct)
        {
            log.RanWhileHeld = log.Held;
            return _warp.RenderAsync(request, frame, progress, ct);
        }
    }

    private sealed class GrantLog : IGpuAdmission
    {
        public bool Held;
        public bool RanWhileHeld;
        public int Grants;
        public (string, StoryPriority)? Asked;

        public Task<IGpuGrant> AcquireAsync(string storyId, StoryPriority priority, CancellationToken ct)
        {
            Asked = (storyId, priority);
            Held = true;
            Grants++;
            return Task.FromResult<IGpuGrant>(new Grant(this));
        }

        private sealed class Grant(GrantLog log) : IGpuGrant
        {
            public string Slot => "gpu0";
            public CancellationToken Revoked => CancellationToken.None;
            public ValueTask DisposeAsync() { log.Held = false; return ValueTask.CompletedTask; }
        }
    }

    [Fact]
    public async Task A_renderer_that_needs_the_GPU_runs_under_a_grant_released_afterwards()
    {
        using var dir = new TempFolder();
        var admission = new GrantLog();
        var step = new RenderStep(new GpuRenderer(admission), RenderTestSupport.Library, admission);
        await step.RunAsync(Input(Story(), dir.Path, Talking(3)), new ProgressLog(), TestContext.Current.CancellationToken);
        Assert.True(admission.RanWhileHeld);
        Assert.False(admission.Held);
        Assert.Equal(("anchor-test", StoryPriority.Normal), admission.Asked);

        // The warp renderer never asks.
        var warpAdmission = new GrantLog();
        await new RenderStep(new WarpRenderer(), RenderTestSupport.Library, warpAdmission)
            .RunAsync(Input(Story(), dir.Path, Talking(3)), new ProgressLog(), TestContext.Current.CancellationToken);
        Assert.Equal(0, warpAdmission.Grants);
        Assert.Throws<ArgumentException>(() => new RenderStep(new GpuRenderer(admission), RenderTestSupport.Library, admission: null));
    }
}
