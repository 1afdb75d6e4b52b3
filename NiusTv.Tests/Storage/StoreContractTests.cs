using System.Text;
using NiusTv.Steps;
using NiusTv.Steps.Cloud;
using NiusTv.Steps.Init;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Storage;

/// <summary>What every asset store and video store must do, whatever is behind it. Each backend runs this same
/// suite through a subclass that says how to seed an asset and how to read back what was stored.</summary>
public abstract class StoreContractTests
{
    protected abstract IAssetStore Assets { get; }
    protected abstract IVideoStore Videos { get; }
    protected abstract Task SeedAssetAsync(string name, byte[] data);
    protected abstract byte[]? StoredVideo(string name);

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
    private static readonly byte[] Image = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31)).ToArray();

    [Fact]
    public async Task Stat_reports_the_size_of_an_asset_and_null_for_a_missing_one()
    {
        await SeedAssetAsync("images/a.jpg", Image);
        Assert.Equal(Image.Length, (await Assets.StatAsync("images/a.jpg", Ct))!.Size);
        Assert.Null(await Assets.StatAsync("images/missing.jpg", Ct));
    }

    [Fact]
    public async Task Open_read_returns_the_exact_bytes_and_a_missing_asset_is_file_not_found()
    {
        await SeedAssetAsync("images/b.png", Image);
        await using (var s = await Assets.OpenReadAsync("images/b.png", Ct))
        {
            var copy = new MemoryStream();
            await s.CopyToAsync(copy);
            Assert.Equal(Image, copy.ToArray());
        }
        await Assert.ThrowsAsync<FileNotFoundException>(() => Assets.OpenReadAsync("images/none.png", Ct));
    }

    [Theory]
    [InlineData("../outside.jpg")]
    [InlineData("images/../../outside.jpg")]
    public async Task An_asset_uri_that_leaves_the_root_is_rejected(string uri) =>
        await Assert.ThrowsAsync<AssetRejectedException>(() => Assets.StatAsync(uri, Ct));

    [Fact]
    public async Task Put_stores_the_video_whole_and_a_second_put_replaces_it()
    {
        var file = Path.GetTempFileName();
        try
        {
            Assert.False(await Videos.ExistsAsync("videos/x.mp4", Ct));
            var big = Enumerable.Range(0, 9_000_000).Select(i => (byte)i).ToArray(); // more than one upload chunk
            await File.WriteAllBytesAsync(file, big);
            var where = await Videos.PutAsync(file, "videos/x.mp4", "video/mp4", Ct);
            Assert.Contains("videos/x.mp4", where);
            Assert.True(await Videos.ExistsAsync("videos/x.mp4", Ct));
            Assert.Equal(big, StoredVideo("videos/x.mp4"));

            await File.WriteAllBytesAsync(file, Encoding.UTF8.GetBytes("second revision"));
            await Videos.PutAsync(file, "videos/x.mp4", "video/mp4", Ct);
            Assert.Equal("second revision", Encoding.UTF8.GetString(StoredVideo("videos/x.mp4")!));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task A_video_and_poster_are_published_both_or_neither_when_the_second_file_cannot_be_read()
    {
        var video = Path.GetTempFileName();
        var poster = Path.GetTempFileName();
        var gone = Path.Combine(Path.GetTempPath(), "nius-missing-" + Guid.NewGuid().ToString("N") + ".jpg");
        try
        {
            await Assert.ThrowsAnyAsync<IOException>(() => Videos.PutAllAsync(
                [(video, "videos/z.mp4", "video/mp4"), (gone, "videos/z.jpg", "image/jpeg")], Ct));
            Assert.Null(StoredVideo("videos/z.mp4")); // a first publish that failed shows nothing

            await File.WriteAllTextAsync(video, "video r1");
            await File.WriteAllTextAsync(poster, "poster r1");
            await Videos.PutAllAsync([(video, "videos/z.mp4", "video/mp4"), (poster, "videos/z.jpg", "image/jpeg")], Ct);
            await File.WriteAllTextAsync(video, "video r2");
            await Assert.ThrowsAnyAsync<IOException>(() => Videos.PutAllAsync(
                [(video, "videos/z.mp4", "video/mp4"), (gone, "videos/z.jpg", "image/jpeg")], Ct));
            Assert.Equal(("video r1", "poster r1"), (Encoding.UTF8.GetString(StoredVideo("videos/z.mp4")!), Encoding.UTF8.GetString(StoredVideo("videos/z.jpg")!)));
        }
        finally { File.Delete(video); File.Delete(poster); }
    }

    [Fact]
    public async Task Delete_removes_a_published_object_and_a_missing_one_is_no_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "WEBVTT\n\n");
            await Videos.PutAsync(file, "videos/y.vtt", "text/vtt", Ct);
            Assert.True(await Videos.ExistsAsync("videos/y.vtt", Ct));
            await Videos.DeleteAsync("videos/y.vtt", Ct);
            Assert.False(await Videos.ExistsAsync("videos/y.vtt", Ct));
            Assert.Null(StoredVideo("videos/y.vtt"));
            await Videos.DeleteAsync("videos/y.vtt", Ct);
        }
        finally { File.Delete(file); }
    }
}

public sealed class LocalFolderStoreContractTests : StoreContractTests, IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly LocalFolderAssetStore _assets;
    private readonly LocalFolderVideoStore _videos;

    public LocalFolderStoreContractTests()
    {
        _assets = new LocalFolderAssetStore(_dir.Folder("assets"));
        _videos = new LocalFolderVideoStore(_dir.Folder("out"));
    }

    protected override IAssetStore Assets => _assets;
    protected override IVideoStore Videos => _videos;

    protected override async Task SeedAssetAsync(string name, byte[] data)
    {
        var path = _dir.Combine("assets", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, data);
    }

    protected override byte[]? StoredVideo(string name) => File.Exists(_dir.Combine("out", name)) ? File.ReadAllBytes(_dir.Combine("out", name)) : null;

    public void Dispose() => _dir.Dispose();
}

public sealed class GcsStoreContractTests : StoreContractTests, IAsyncLifetime
{
    private FakeGcsServer _server = null!;
    private GcsAssetStore _assets = null!;
    private GcsVideoStore _videos = null!;
    private static readonly CloudRetry FastRetry = new(5, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200));

    public async ValueTask InitializeAsync()
    {
        _server = await FakeGcsServer.StartAsync();
        var client = GcsClients.Create(_server.Endpoint);
        _assets = new GcsAssetStore(client, "assets-bucket", FastRetry);
        _videos = new GcsVideoStore(client, "out-bucket", "nius/prod", FastRetry);
    }

    protected override IAssetStore Assets => _assets;
    protected override IVideoStore Videos => _videos;

    protected override Task SeedAssetAsync(string name, byte[] data)
    {
        _server.Put("assets-bucket", name, data, "image/jpeg");
        return Task.CompletedTask;
    }

    protected override byte[]? StoredVideo(string name) => _server.Get("out-bucket", "nius/prod/" + name)?.Data;

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task Transient_503_and_429_are_retried_for_metadata_download_and_upload()
    {
        _server.Put("assets-bucket", "a.jpg", [1, 2, 3]);
        _server.FailNext(503, 429);
        Assert.Equal(3, (await Assets.StatAsync("a.jpg", Ct))!.Size);
        _server.FailNext(503, 503);
        await using (var s = await Assets.OpenReadAsync("a.jpg", Ct)) Assert.Equal(3, s.Length);

        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, [9, 8, 7]);
        _server.FailNext(429, 503);
        await Videos.PutAsync(file, "videos/r.mp4", "video/mp4", Ct);
        File.Delete(file);
        Assert.Equal([9, 8, 7], StoredVideo("videos/r.mp4"));
    }

    /// <summary>The node's own store policy, with its delays taken out so the test does not wait them out.</summary>
    private static readonly CloudRetry StorePolicyNoWaiting = CloudRetry.Store with { FirstDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    [Fact]
    public async Task A_bucket_that_keeps_failing_fails_the_init_step_as_retryable_after_the_store_policys_few_tries_and_no_more()
    {
        _server.Put("assets-bucket", "a.jpg", [1, 2, 3]);
        var store = new GcsAssetStore(GcsClients.Create(_server.Endpoint), "assets-bucket", StorePolicyNoWaiting);
        using var workspace = new TempFolder();
        var story = new Story("flaky-bucket", "Flaky bucket", ["One paragraph."], [new StoryImage("a.jpg", null, 0)],
            "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
        _server.FailNext(Enumerable.Repeat(503, 40).ToArray());
        var before = _server.Requests;

        var failure = await Assert.ThrowsAsync<StepFailure>(() => new InitStep(store).RunAsync(
            new StepInput(story, 1, workspace.Path, new Dictionary<string, string>()), new ProgressLog(), Ct));

        // Retryable, so the story's own RetryPolicy decides when to run the step again; and the bucket was asked
        // exactly as often as the store policy allows: nothing (the Google library included) retried underneath.
        Assert.True(failure.Transient);
        Assert.Equal(CloudRetry.Store.Attempts, _server.Requests - before);
    }

    [Fact]
    public async Task Every_store_call_tries_a_failing_bucket_as_often_as_the_store_policy_says_and_no_more()
    {
        _server.Put("assets-bucket", "a.jpg", [1, 2, 3]);
        var client = GcsClients.Create(_server.Endpoint);
        var assets = new GcsAssetStore(client, "assets-bucket", StorePolicyNoWaiting);
        var videos = new GcsVideoStore(client, "out-bucket", "nius/prod", StorePolicyNoWaiting);
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, [9, 8, 7]);
        try
        {
            foreach (var (what, call) in new (string, Func<Task>)[]
            {
                ("stat", () => assets.StatAsync("a.jpg", Ct)),
                ("download", () => assets.OpenReadAsync("a.jpg", Ct)),
                ("upload", () => videos.PutAsync(file, "videos/never.mp4", "video/mp4", Ct)),
                ("delete", () => videos.DeleteAsync("videos/gone.mp4", Ct)),
            })
            {
                _server.FailNext(Enumerable.Repeat(503, 40).ToArray());
                var before = _server.Requests;
                await Assert.ThrowsAsync<IOException>(call);
                Assert.Equal((what, CloudRetry.Store.Attempts), (what, _server.Requests - before));
                _server.ClearFaults();
            }
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task A_download_whose_bytes_do_not_match_the_reported_checksum_is_refused()
    {
        _server.Put("assets-bucket", "c.jpg", Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray());
        _server.CorruptDownloads = true;
        await Assert.ThrowsAsync<IOException>(() => Assets.OpenReadAsync("c.jpg", Ct));
    }

    [Fact]
    public async Task The_video_carries_content_type_and_cache_headers_and_a_failed_upload_leaves_no_object()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray());
        Assert.Equal("gs://out-bucket/nius/prod/videos/v.mp4", await Videos.PutAsync(file, "videos/v.mp4", "video/mp4", Ct));
        var stored = _server.Get("out-bucket", "nius/prod/videos/v.mp4")!;
        Assert.Equal(("video/mp4", GcsVideoStore.CacheControl), (stored.ContentType, stored.CacheControl));

        _server.FailNext(Enumerable.Repeat(503, 40).ToArray()); // outlasts every retry
        await Assert.ThrowsAsync<IOException>(() => Videos.PutAsync(file, "videos/never.mp4", "video/mp4", Ct));
        File.Delete(file);
        Assert.Null(StoredVideo("videos/never.mp4"));
    }

    [Fact]
    public async Task A_poster_the_bucket_refuses_after_the_video_was_copied_into_place_puts_the_earlier_video_back_and_leaves_no_staging_objects()
    {
        var video = Path.GetTempFileName();
        var poster = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(video, "video r1");
            await File.WriteAllTextAsync(poster, "poster r1");
            await _videos.PutAllAsync([(video, "videos/w.mp4", "video/mp4"), (poster, "videos/w.jpg", "image/jpeg")], Ct);
            await File.WriteAllTextAsync(video, "video r2");
            await File.WriteAllTextAsync(poster, "poster r2");
            _server.RefuseCopiesTo = name => name == "nius/prod/videos/w.jpg";
            var e = await Assert.ThrowsAsync<IOException>(() => _videos.PutAllAsync(
                [(video, "videos/w.mp4", "video/mp4"), (poster, "videos/w.jpg", "image/jpeg")], Ct));
            Assert.Contains("gs://out-bucket/", e.Message);
            Assert.Equal(("video r1", "poster r1"), (Encoding.UTF8.GetString(StoredVideo("videos/w.mp4")!), Encoding.UTF8.GetString(StoredVideo("videos/w.jpg")!)));
            Assert.Equal(["nius/prod/videos/w.jpg", "nius/prod/videos/w.mp4"], _server.Names("out-bucket"));
            Assert.Equal(("video/mp4", GcsVideoStore.CacheControl), (_server.Get("out-bucket", "nius/prod/videos/w.mp4")!.ContentType, _server.Get("out-bucket", "nius/prod/videos/w.mp4")!.CacheControl));
        }
        finally { File.Delete(video); File.Delete(poster); }
    }

    [Fact]
    public async Task A_gs_uri_names_an_object_in_another_bucket()
    {
        _server.Put("shared-images", "wire/photo.jpg", [5, 5]);
        Assert.Equal(2, (await Assets.StatAsync("gs://shared-images/wire/photo.jpg", Ct))!.Size);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
