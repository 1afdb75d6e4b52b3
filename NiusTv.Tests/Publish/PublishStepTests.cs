using NiusTv.Steps;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Publish;

public sealed class PublishStepTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _workspace;
    private readonly string _out;

    public PublishStepTests()
    {
        _workspace = _temp.Folder("workspace");
        _out = _temp.Combine("out");
    }

    public void Dispose() => _temp.Dispose();

    private StepInput Input(byte[] video, byte[] poster)
    {
        File.WriteAllBytes(Path.Combine(_workspace, "video.mp4"), video);
        File.WriteAllBytes(Path.Combine(_workspace, "poster.jpg"), poster);
        return new StepInput(
            new Story("harbour-fire", "Harbour fire", ["A fire broke out."], [], "default", "default", StoryPriority.Breaking, StoryOutput.LocalDefault),
            2, _workspace, new Dictionary<string, string> { ["video.mp4"] = "video.mp4", ["poster.jpg"] = "poster.jpg" });
    }

    [Fact]
    public async Task Publishes_video_and_poster_under_the_story_id()
    {
        var video = new byte[3 * 1024 * 1024 + 17];
        new Random(1).NextBytes(video);
        var poster = new byte[] { 0xFF, 0xD8, 0xFF, 1, 2, 3 };
        var progress = new ProgressLog();
        var step = new PublishStep(new LocalFolderVideoStore(_out));

        var output = await step.RunAsync(Input(video, poster), progress, CancellationToken.None);

        var videoPath = Path.Combine(_out, "videos", "harbour-fire.mp4");
        var posterPath = Path.Combine(_out, "videos", "harbour-fire.jpg");
        Assert.Equal(new Dictionary<string, string> { ["video.mp4"] = videoPath, ["poster.jpg"] = posterPath }, output.Artifacts);
        Assert.Equal(video, File.ReadAllBytes(videoPath));
        Assert.Equal(poster, File.ReadAllBytes(posterPath));
        Assert.Equal(["harbour-fire.jpg", "harbour-fire.mp4"], Directory.GetFiles(_out, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order());
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.Equal(("publish", "local"), (step.Name, step.Backend));
    }

    [Fact]
    public async Task A_new_revision_replaces_the_old_files_and_leaves_no_temp_files()
    {
        var step = new PublishStep(new LocalFolderVideoStore(_out));
        await step.RunAsync(Input([1, 2, 3, 4], [9]), new ProgressLog(), CancellationToken.None);
        await step.RunAsync(Input([5, 6], [8, 8]), new ProgressLog(), CancellationToken.None);

        Assert.Equal([5, 6], File.ReadAllBytes(Path.Combine(_out, "videos", "harbour-fire.mp4")));
        Assert.Equal([8, 8], File.ReadAllBytes(Path.Combine(_out, "videos", "harbour-fire.jpg")));
        Assert.Equal(2, Directory.GetFiles(_out, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task A_revision_with_renditions_removes_the_single_video_an_earlier_revision_published_and_nothing_of_other_stories()
    {
        var step = new PublishStep(new LocalFolderVideoStore(_out));
        await step.RunAsync(Input([1, 2, 3], [9]), new ProgressLog(), CancellationToken.None);
        // Another story whose id starts with this one's and a '-': its files look like a rendition's and must stay.
        var videos = Path.Combine(_out, "videos");
        File.WriteAllBytes(Path.Combine(videos, "harbour-fire-update.mp4"), [7]);
        File.WriteAllBytes(Path.Combine(videos, "harbour-fire.vtt"), [6]);

        var single = Input([4], [8]);
        var renditions = new Dictionary<string, string>();
        foreach (var name in new[] { "landscape", "portrait" })
        foreach (var key in new[] { Artifacts.Video, Artifacts.Poster })
        {
            var own = Artifacts.OfRendition(key, name);
            var path = own.In(_workspace);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [(byte)name.Length]);
            renditions[own] = own;
        }
        var story = single.Story with
        {
            Renditions = [new StoryRendition("landscape", new(640, 360, 25)), new StoryRendition("portrait", new(360, 640, 25))],
            Captions = StoryCaptions.Burned,
        };
        await step.RunAsync(new StepInput(story, 3, _workspace, renditions), new ProgressLog(), CancellationToken.None);

        Assert.Equal(["harbour-fire-landscape.jpg", "harbour-fire-landscape.mp4", "harbour-fire-portrait.jpg", "harbour-fire-portrait.mp4",
            "harbour-fire-update.mp4"], Directory.GetFiles(videos).Select(Path.GetFileName).Order());
        Assert.Equal([7], File.ReadAllBytes(Path.Combine(videos, "harbour-fire-update.mp4")));
    }

    [Fact]
    public async Task A_missing_video_is_a_permanent_failure()
    {
        var input = Input([1], [2]);
        File.Delete(Path.Combine(_workspace, "video.mp4"));

        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            new PublishStep(new LocalFolderVideoStore(_out)).RunAsync(input, new ProgressLog(), CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains("video.mp4", failure.Message);
    }

    [Fact]
    public async Task An_artifact_not_produced_by_compose_is_a_permanent_failure()
    {
        var input = Input([1], [2]) with { Artifacts = new Dictionary<string, string> { ["video.mp4"] = "video.mp4" } };

        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            new PublishStep(new LocalFolderVideoStore(_out)).RunAsync(input, new ProgressLog(), CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains("poster.jpg", failure.Message);
    }

    [Fact]
    public async Task A_failed_copy_leaves_neither_a_final_file_nor_a_temp_file()
    {
        var store = new LocalFolderVideoStore(_out);

        await Assert.ThrowsAsync<FileNotFoundException>(() =>
            store.PutAsync(_temp.Combine("no-such.mp4"), "videos/x.mp4", "video/mp4", CancellationToken.None));

        Assert.False(await store.ExistsAsync("videos/x.mp4", CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_out, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Exists_reports_published_objects()
    {
        var store = new LocalFolderVideoStore(_out);
        var source = _temp.Combine("a.mp4");
        File.WriteAllBytes(source, [1]);

        Assert.False(await store.ExistsAsync("videos/a.mp4", CancellationToken.None));
        var at = await store.PutAsync(source, "videos/a.mp4", "video/mp4", CancellationToken.None);
        Assert.True(await store.ExistsAsync("videos/a.mp4", CancellationToken.None));
        Assert.Equal(Path.Combine(Path.GetFullPath(_out), "videos", "a.mp4"), at);
    }

    [Theory]
    [InlineData("../escape.mp4")]
    [InlineData("videos/../../escape.mp4")]
    [InlineData("/tmp/escape.mp4")]
    [InlineData("gs://bucket/escape.mp4")]
    public async Task Object_names_outside_the_root_are_refused(string objectName)
    {
        var store = new LocalFolderVideoStore(_out);
        var source = _temp.Combine("a.mp4");
        File.WriteAllBytes(source, [1]);

        await Assert.ThrowsAsync<AssetRejectedException>(() => store.PutAsync(source, objectName, "video/mp4", CancellationToken.None));
        Assert.False(File.Exists(_temp.Combine("escape.mp4")));
    }

    [Fact]
    public async Task A_symlinked_folder_leading_out_of_the_root_is_refused()
    {
        var elsewhere = _temp.Folder("elsewhere");
        Directory.CreateDirectory(_out);
        Directory.CreateSymbolicLink(Path.Combine(_out, "videos"), elsewhere);
        var input = Input([1], [2]);

        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            new PublishStep(new LocalFolderVideoStore(_out)).RunAsync(input, new ProgressLog(), CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Empty(Directory.GetFiles(elsewhere));
    }

    [Fact]
    public async Task A_full_output_store_publishes_neither_the_video_nor_the_poster_and_keeps_the_earlier_pair()
    {
        using var disk = new SmallDisk(_temp.Combine("small-out"), 2);
        var step = new PublishStep(new LocalFolderVideoStore(disk.Path));
        await step.RunAsync(Input([1, 2, 3], [9]), new ProgressLog(), CancellationToken.None);

        var tooBig = new byte[3 * 1024 * 1024]; // a bigger revision than the store has room for
        var failure = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(Input(tooBig, [7, 7]), new ProgressLog(), CancellationToken.None));
        Assert.True(failure.Transient);
        Assert.Contains("'videos/harbour-fire.mp4' and 'videos/harbour-fire.jpg'", failure.Message);
        // The earlier revision's pair is untouched: no new poster beside an old video, and no temp files left.
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(disk.Path, "videos", "harbour-fire.mp4")));
        Assert.Equal([9], File.ReadAllBytes(Path.Combine(disk.Path, "videos", "harbour-fire.jpg")));
        Assert.Equal(["harbour-fire.jpg", "harbour-fire.mp4"], Directory.GetFiles(disk.Path, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order());
    }
}
