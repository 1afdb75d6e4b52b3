using System.Text.Json;
using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Landmarks;

[Trait("Speed", "Slow")]
public sealed class LandmarksStepTests : IDisposable
{
    private readonly TempFolder _workspace = new();
    private readonly TempFolder _cache = new();

    public void Dispose()
    {
        _workspace.Dispose();
        _cache.Dispose();
    }

    /// <summary>The node's presenter library on the repository's profiles, with dlib on the real photo.</summary>
    private LandmarksStep Step() => new(new PresenterLibrary(Path.Combine(Nius.RepoRoot, "presenters"), _cache.Path,
        () => new DlibFaceLandmarkDetector()));

    private static Story StoryOf(string presenter = "default", int fps = 25) =>
        new("council-budget", "Council approves budget", ["The council met."], [], presenter, "default", StoryPriority.Normal,
            new StoryOutput(1024, 512, fps));

    private StepInput InputFor(Story story, PhoneTrack phones, double wavSeconds, int sampleRate = 32000)
    {
        phones.Save(_workspace.Combine(NiusTv.Steps.Artifacts.Phones.Name));
        new WaveFile(sampleRate, new short[(int)Math.Round(wavSeconds * sampleRate)]).Write(_workspace.Combine(NiusTv.Steps.Artifacts.Speech.Name));
        return new StepInput(story, 1, _workspace.Path, new Dictionary<string, string>
        {
            [NiusTv.Steps.Artifacts.Speech.Name] = NiusTv.Steps.Artifacts.Speech.Name,
            [NiusTv.Steps.Artifacts.Timings.Name] = NiusTv.Steps.Artifacts.Timings.Name,
            [NiusTv.Steps.Artifacts.Phones.Name] = NiusTv.Steps.Artifacts.Phones.Name,
        });
    }

    [Theory]
    [InlineData(25, 2.0)]
    [InlineData(30, 3.517)]
    [InlineData(24, 0.01)]
    public async Task Writes_one_68_point_frame_per_output_frame_of_the_speech(int fps, double seconds)
    {
        var phones = TestFaces.Track("SIL:0.2", "DH:0.05", "AH:0.07", "K:0.08", "AW:0.2", "N:0.06", "S:0.1", "AH:0.06", "L:0.08", "SIL:0.3");
        var step = Step();
        var progress = new ProgressLog();
        var output = await step.RunAsync(InputFor(StoryOf(fps: fps), phones, seconds), progress, TestContext.Current.CancellationToken);

        Assert.Equal("landmarks", step.Name);
        Assert.Equal(NiusTv.Steps.Artifacts.Landmarks.Name, output.Artifacts["landmarks.json"]);
        var path = _workspace.Combine(NiusTv.Steps.Artifacts.Landmarks.Name);
        // Checked on the JSON itself, as the renderer and other tools read it.
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal("default", json.RootElement.GetProperty("presenter").GetString());
        Assert.Equal(fps, json.RootElement.GetProperty("fps").GetInt32());
        Assert.Equal(512, json.RootElement.GetProperty("photoWidth").GetInt32());
        var frames = json.RootElement.GetProperty("frames");
        Assert.Equal(Math.Max(1, (int)Math.Round(seconds * fps)), frames.GetArrayLength());
        foreach (var frame in frames.EnumerateArray())
        {
            Assert.Equal(68, frame.GetArrayLength());
            foreach (var point in frame.EnumerateArray())
            {
                Assert.Equal(2, point.GetArrayLength());
                Assert.InRange(point[0].GetDouble(), 0, 512);
                Assert.InRange(point[1].GetDouble(), 0, 512);
            }
        }
        var track = LandmarkTrack.Load(path);
        Assert.Equal(frames.GetArrayLength(), track.Frames.Length);
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.Empty(Directory.GetFiles(_workspace.Path, "*.tmp"));
    }

    [Fact]
    public async Task An_unknown_presenter_fails_for_good_naming_it()
    {
        var step = Step();
        var e = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(
            InputFor(StoryOf(presenter: "walter"), TestFaces.Track("SIL:1"), 1), new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.False(e.Transient);
        Assert.Contains("'walter'", e.Message);
        Assert.Contains("'default'", e.Message);
        Assert.False(File.Exists(_workspace.Combine(NiusTv.Steps.Artifacts.Landmarks.Name)));
    }

    [Fact]
    public async Task Missing_phones_and_bad_phones_are_clear_failures()
    {
        var step = Step();
        var input = InputFor(StoryOf(), TestFaces.Track("SIL:1"), 1);
        var missing = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(
            input with { Artifacts = new Dictionary<string, string> { [NiusTv.Steps.Artifacts.Speech.Name] = NiusTv.Steps.Artifacts.Speech.Name } },
            new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.Contains("'phones.json'", missing.Message);

        var bad = InputFor(StoryOf(), TestFaces.Track("SIL:0.2", "XQ:0.2"), 1);
        var e = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(bad, new ProgressLog(), TestContext.Current.CancellationToken));
        Assert.False(e.Transient);
        Assert.Contains("'XQ'", e.Message);
        Assert.Contains(NiusTv.Steps.Artifacts.Phones.Name, e.Message);
    }
}

[Trait("Speed", "Slow")]
public sealed class TestFaceFixtureTests
{
    [Fact]
    public void The_measured_astronaut_points_are_what_the_presenter_library_finds()
    {
        using var cache = new TempFolder();
        var reference = new PresenterLibrary(Path.Combine(Nius.RepoRoot, "presenters"), cache.Path,
            () => new DlibFaceLandmarkDetector()).Reference("default");
        var fixture = TestFaces.Astronaut();
        Assert.Equal(fixture.Box, reference.Face.Box);
        for (int i = 0; i < 68; i++)
        {
            Assert.InRange(reference.Face.Points[i][0], fixture.Points[i][0] - 1, fixture.Points[i][0] + 1);
            Assert.InRange(reference.Face.Points[i][1], fixture.Points[i][1] - 1, fixture.Points[i][1] + 1);
        }
    }
}
