using NiusTv.Steps;
using NiusTv.Steps.Init;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Init;

public sealed class InitStepTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _assets;
    private readonly string _workspace;

    public InitStepTests()
    {
        _assets = _temp.Folder("assets");
        _workspace = _temp.Folder("workspace");
    }

    public void Dispose() => _temp.Dispose();

    private void Asset(string uri, byte[] content)
    {
        var path = Path.Combine(_assets, uri);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    private StepInput Input(params StoryImage[] images) => new(
        new Story("city-budget", "City budget", ["First paragraph.", "Second paragraph."], images,
            "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault),
        1, _workspace, new Dictionary<string, string>());

    private Task<StepOutput> Run(StepInput input, ImageLimits? limits = null, ProgressLog? progress = null) =>
        new InitStep(new LocalFolderAssetStore(_assets), limits).RunAsync(input, progress ?? new ProgressLog(), CancellationToken.None);

    private async Task<StepFailure> Fails(StepInput input, ImageLimits? limits = null) =>
        await Assert.ThrowsAsync<StepFailure>(() => Run(input, limits));

    [Fact]
    public async Task Jpeg_png_and_webp_are_copied_and_described_in_the_manifest()
    {
        Asset("images/hall.jpg", TestImages.Encode(320, 200, SKEncodedImageFormat.Jpeg));
        Asset("images/chart.png", TestImages.Encode(64, 48, SKEncodedImageFormat.Png));
        Asset("library.webp", TestImages.Encode(100, 150, SKEncodedImageFormat.Webp));
        var progress = new ProgressLog();

        var output = await Run(Input(
            new StoryImage("images/hall.jpg", "City hall", 0),
            new StoryImage("images/chart.png", null, 1),
            new StoryImage("library.webp", "Library", 1)), progress: progress);

        var manifest = ImageManifest.Load(Path.Combine(_workspace, "images.json"));
        Assert.Equal(
        [
            new ImageManifestEntry(0, "images/00.jpg", "images/hall.jpg", 320, 200, "jpeg", "City hall", 0),
            new ImageManifestEntry(1, "images/01.png", "images/chart.png", 64, 48, "png", null, 1),
            new ImageManifestEntry(2, "images/02.webp", "library.webp", 100, 150, "webp", "Library", 1),
        ], manifest.Images);
        Assert.Equal(new Dictionary<string, string>
        {
            ["images.json"] = "images.json",
            ["images/00.jpg"] = "images/00.jpg",
            ["images/01.png"] = "images/01.png",
            ["images/02.webp"] = "images/02.webp",
        }, output.Artifacts);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_assets, "images/hall.jpg")), File.ReadAllBytes(Path.Combine(_workspace, "images/00.jpg")));
        Assert.Equal(["00.jpg", "01.png", "02.webp"], Directory.GetFiles(Path.Combine(_workspace, "images")).Select(Path.GetFileName).Order());
        Assert.True(progress.Values.Count >= 3);
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.Equal(progress.Values.Order(), progress.Values);
    }

    [Fact]
    public async Task The_format_comes_from_the_content_not_the_name()
    {
        Asset("images/actually-png.jpg", TestImages.Encode(20, 10, SKEncodedImageFormat.Png));

        await Run(Input(new StoryImage("images/actually-png.jpg", null, 0)));

        var entry = Assert.Single(ImageManifest.Load(Path.Combine(_workspace, "images.json")).Images);
        Assert.Equal(("png", "images/00.png"), (entry.Format, entry.File));
    }

    [Fact]
    public async Task A_story_without_images_gets_an_empty_manifest()
    {
        var output = await Run(Input());

        Assert.Empty(ImageManifest.Load(Path.Combine(_workspace, "images.json")).Images);
        Assert.Equal(["images.json"], output.Artifacts.Keys);
    }

    [Fact]
    public async Task A_missing_image_fails_permanently_naming_it()
    {
        Asset("images/a.jpg", TestImages.Encode(16, 16, SKEncodedImageFormat.Jpeg));

        var failure = await Fails(Input(new StoryImage("images/a.jpg", null, 0), new StoryImage("images/x.jpg", null, 0)));

        Assert.False(failure.Transient);
        Assert.StartsWith("images[1]: 'images/x.jpg' was not found in the asset store (local folder", failure.Message);
    }

    [Fact]
    public async Task A_truncated_jpeg_fails_permanently()
    {
        var jpeg = TestImages.Encode(400, 300, SKEncodedImageFormat.Jpeg);
        Asset("images/cut.jpg", jpeg[..(jpeg.Length / 2)]);

        var failure = await Fails(Input(new StoryImage("images/cut.jpg", null, 0)));

        Assert.False(failure.Transient);
        Assert.Contains("images[0]: 'images/cut.jpg'", failure.Message);
        Assert.Contains("truncated", failure.Message);
    }

    [Fact]
    public async Task A_text_file_named_jpg_fails_permanently()
    {
        Asset("images/notes.jpg", "This is not a photo, it is a note."u8.ToArray());

        var failure = await Fails(Input(new StoryImage("images/notes.jpg", null, 0)));

        Assert.False(failure.Transient);
        Assert.Contains("'images/notes.jpg' is not a JPEG, PNG or WebP image", failure.Message);
    }

    [Theory]
    [InlineData("gif", "GIF")]
    [InlineData("bmp", "BMP")]
    public async Task Other_image_formats_fail_permanently_naming_the_format(string kind, string format)
    {
        Asset($"images/pic.{kind}", kind == "gif" ? TestImages.Gif() : TestImages.Bmp());

        var failure = await Fails(Input(new StoryImage($"images/pic.{kind}", null, 0)));

        Assert.False(failure.Transient);
        Assert.Contains($"'images/pic.{kind}' is a {format} image", failure.Message);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_fails_before_it_is_copied()
    {
        var jpeg = TestImages.Encode(200, 200, SKEncodedImageFormat.Jpeg);
        Asset("images/big.jpg", jpeg);

        var failure = await Fails(Input(new StoryImage("images/big.jpg", null, 0)), new ImageLimits(MaxBytes: jpeg.Length - 1));

        Assert.False(failure.Transient);
        Assert.Contains("images[0]: 'images/big.jpg' is", failure.Message);
        Assert.Contains("at most", failure.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_workspace, "images")));
    }

    [Fact]
    public async Task An_image_wider_than_12000_pixels_fails_permanently()
    {
        Asset("images/panorama.png", TestImages.Encode(12_001, 2, SKEncodedImageFormat.Png));

        var failure = await Fails(Input(new StoryImage("images/panorama.png", null, 0)));

        Assert.False(failure.Transient);
        Assert.Contains("'images/panorama.png' is 12001×2 pixels", failure.Message);
        Assert.Contains("12000", failure.Message);
    }

    [Fact]
    public async Task An_image_exactly_at_the_side_limit_is_accepted()
    {
        Asset("images/strip.png", TestImages.Encode(300, 2, SKEncodedImageFormat.Png));

        await Run(Input(new StoryImage("images/strip.png", null, 0)), new ImageLimits(MaxSide: 300));

        Assert.Equal(300, Assert.Single(ImageManifest.Load(Path.Combine(_workspace, "images.json")).Images).Width);
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("images/../../outside.png")]
    [InlineData("/etc/hostname")]
    [InlineData("gs://bucket/a.png")]
    public async Task A_uri_escaping_the_root_is_refused(string uri)
    {
        // Stories from the parser cannot carry these; the store must refuse them anyway.
        File.WriteAllBytes(_temp.Combine("outside.png"), TestImages.Encode(8, 8, SKEncodedImageFormat.Png));

        var failure = await Fails(Input(new StoryImage(uri, null, 0)));

        Assert.False(failure.Transient);
        Assert.StartsWith("images[0]:", failure.Message);
        await Assert.ThrowsAsync<AssetRejectedException>(() => new LocalFolderAssetStore(_assets).StatAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task A_symlink_leading_out_of_the_root_is_refused()
    {
        var outside = _temp.Folder("elsewhere");
        File.WriteAllBytes(Path.Combine(outside, "secret.png"), TestImages.Encode(8, 8, SKEncodedImageFormat.Png));
        Directory.CreateSymbolicLink(Path.Combine(_assets, "linked"), outside);
        File.CreateSymbolicLink(Path.Combine(_assets, "direct.png"), Path.Combine(outside, "secret.png"));

        foreach (var uri in new[] { "linked/secret.png", "direct.png" })
        {
            var failure = await Fails(Input(new StoryImage(uri, null, 0)));
            Assert.False(failure.Transient);
            Assert.Contains("symbolic link", failure.Message);
        }
    }

    [Fact]
    public async Task A_symlink_that_stays_inside_the_root_is_followed()
    {
        Asset("real/a.png", TestImages.Encode(8, 6, SKEncodedImageFormat.Png));
        Directory.CreateSymbolicLink(Path.Combine(_assets, "alias"), Path.Combine(_assets, "real"));

        await Run(Input(new StoryImage("alias/a.png", null, 0)));

        Assert.Equal(8, Assert.Single(ImageManifest.Load(Path.Combine(_workspace, "images.json")).Images).Width);
    }

    [Fact]
    public async Task A_fifo_under_the_assets_is_a_permanent_named_failure_without_waiting_for_a_writer()
    {
        Directory.CreateDirectory(Path.Combine(_assets, "images"));
        TestFiles.MakeFifo(Path.Combine(_assets, "images", "pipe.jpg"));

        // On a thread of its own: a blocking open() would otherwise hang the test itself, not fail it.
        var run = Task.Run(() => Fails(Input(new StoryImage("images/pipe.jpg", null, 0))));
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(finished == run, "init waited on the FIFO");
        var failure = await run;
        Assert.False(failure.Transient);
        Assert.Contains("images[0]: 'images/pipe.jpg'", failure.Message);
        Assert.Contains("not a regular file", failure.Message);
    }

    [Fact]
    public async Task A_symlink_loop_under_the_assets_is_a_permanent_named_failure()
    {
        File.CreateSymbolicLink(Path.Combine(_assets, "a.png"), Path.Combine(_assets, "b.png"));
        File.CreateSymbolicLink(Path.Combine(_assets, "b.png"), Path.Combine(_assets, "a.png"));

        var failure = await Fails(Input(new StoryImage("a.png", null, 0)));
        Assert.False(failure.Transient);
        Assert.Contains("images[0]", failure.Message);
        Assert.Contains("symbolic link loop", failure.Message);
    }

    [Fact]
    public async Task Store_io_errors_are_retryable()
    {
        var failure = await Assert.ThrowsAsync<StepFailure>(() =>
            new InitStep(new FlakyStore()).RunAsync(Input(new StoryImage("images/a.jpg", null, 0)), new ProgressLog(), CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Contains("images[0]: 'images/a.jpg'", failure.Message);
    }

    [Fact]
    public void Backend_is_the_store_kind()
    {
        var step = new InitStep(new LocalFolderAssetStore(_assets));
        Assert.Equal(("init", "local"), (step.Name, step.Backend));
    }

    private sealed class FlakyStore : IAssetStore
    {
        public string Kind => "flaky";
        public string Describe => "a store that is down";
        public Task<AssetInfo?> StatAsync(string uri, CancellationToken ct) => throw new IOException("connection reset");
        public Task<Stream> OpenReadAsync(string uri, CancellationToken ct) => throw new IOException("connection reset");
    }
}

internal static class TestFiles
{
    /// <summary>A named pipe, made with mkfifo(1): .NET has no API for one.</summary>
    public static void MakeFifo(string path)
    {
        using var p = System.Diagnostics.Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
