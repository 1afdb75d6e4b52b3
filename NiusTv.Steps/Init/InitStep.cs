using NiusTv.Steps.Brands;
using NiusTv.Steps.Storage;

namespace NiusTv.Steps.Init;

/// <summary>Step 1: brings the story's images into the workspace and proves each one is a whole JPEG, PNG or
/// WebP of sane size, so that a bad upload fails here, with a message naming the image, instead of deep
/// inside compose. Writes <c>images/NN.ext</c> and <see cref="ImageManifest"/>, and the story's brand pack.</summary>
public sealed class InitStep : IStoryStep
{
    public static readonly StepDefinition Definition = new("init", inputs: [],
        outputs: [Artifacts.ImageManifest, Artifacts.ImageFiles, Artifacts.BrandManifest, Artifacts.BrandFiles], PoolSize.Fixed(2));

    private const int CopyBufferBytes = 1 << 20;
    private readonly IAssetStore _store;
    private readonly ImageLimits _limits;
    private readonly BrandFetcher _brands;

    public InitStep(IAssetStore store, ImageLimits? limits = null, BrandLimits? brandLimits = null, string ffmpeg = "ffmpeg")
    {
        _store = store;
        _limits = limits ?? ImageLimits.Default;
        _brands = new BrandFetcher(store, brandLimits, ffmpeg);
    }

    public string Name => Definition.Name;
    public string Backend => _store.Kind;

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var images = input.Story.Images;
        var folder = Artifacts.ImageFiles.In(input.Workspace);
        Directory.CreateDirectory(folder);

        var entries = new List<ImageManifestEntry>(images.Count);
        var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
        // The brand first: a story naming a pack that does not exist fails before any image is copied.
        foreach (var (name, path) in await _brands.BringInAsync(input.Story.Brand, input.Workspace, ct))
            artifacts[name] = path;
        for (var i = 0; i < images.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var entry = await BringInAsync(i, images[i], input.Workspace, ct);
            entries.Add(entry);
            artifacts[entry.File] = entry.File;
            progress.Report((i + 1.0) / (images.Count + 1));
        }

        var manifestPath = Artifacts.ImageManifest.In(input.Workspace);
        var manifestTemp = manifestPath + ".tmp";
        Guard("writing " + Artifacts.ImageManifest, () =>
        {
            new ImageManifest(entries).Save(manifestTemp);
            File.Move(manifestTemp, manifestPath, overwrite: true);
        });
        artifacts[Artifacts.ImageManifest] = Artifacts.ImageManifest;
        progress.Report(1.0);
        return new StepOutput(artifacts);
    }

    private async Task<ImageManifestEntry> BringInAsync(int index, Stories.StoryImage image, string workspace, CancellationToken ct)
    {
        var label = $"images[{index}]: '{image.Uri}'";

        AssetInfo? info;
        try
        {
            info = await _store.StatAsync(image.Uri, ct);
        }
        catch (AssetRejectedException ex)
        {
            throw StepFailure.Permanent($"images[{index}]: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw StepFailure.Permanent($"{label} cannot be read from the asset store ({_store.Describe}): permission denied", ex);
        }
        catch (IOException ex)
        {
            throw StepFailure.Retryable($"{label}: the asset store ({_store.Describe}) could not be asked about it: {ex.Message}", ex);
        }

        if (info is null)
            throw StepFailure.Permanent($"{label} was not found in the asset store ({_store.Describe})");
        if (info.Size > _limits.MaxBytes)
            throw StepFailure.Permanent($"{label} is {Megabytes(info.Size)}; images may be at most {Megabytes(_limits.MaxBytes)}");

        var temp = Artifacts.ImageFiles.FileNamed($"{index:D2}.part").In(workspace);
        try
        {
            await CopyAsync(image.Uri, temp, label, ct);
            var (format, extension, width, height) = Inspect(temp, label);
            string relative = Artifacts.Image(index, extension);
            Guard($"{label}: storing the copy", () => File.Move(temp, Path.Combine(workspace, relative), overwrite: true));
            return new ImageManifestEntry(index, relative, image.Uri, width, height, format, image.Caption, image.Paragraph);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private async Task CopyAsync(string uri, string temp, string label, CancellationToken ct)
    {
        try
        {
            await using var source = await _store.OpenReadAsync(uri, ct);
            await using var destination = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferBytes,
                FileOptions.Asynchronous);
            var buffer = new byte[CopyBufferBytes];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                // The stat can be stale (the object was replaced since) or wrong; the limit holds for what is really read.
                if (total > _limits.MaxBytes)
                    throw StepFailure.Permanent($"{label} is larger than {Megabytes(_limits.MaxBytes)}, the limit for images");
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (FileNotFoundException ex)
        {
            throw StepFailure.Permanent($"{label} was not found in the asset store ({_store.Describe})", ex);
        }
        catch (AssetRejectedException ex)
        {
            throw StepFailure.Permanent($"{label}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw StepFailure.Permanent($"{label} cannot be read from the asset store ({_store.Describe}): permission denied", ex);
        }
        catch (IOException ex)
        {
            throw StepFailure.Retryable($"{label}: copying it from the asset store ({_store.Describe}) failed: {ex.Message}", ex);
        }
    }

    /// <summary>The shared check (<see cref="ImageInspector"/>), its refusals named after the story's image.</summary>
    private (string Format, string Extension, int Width, int Height) Inspect(string file, string label)
    {
        try
        {
            var image = ImageInspector.Inspect(file, _limits);
            return (image.Format, image.Extension, image.Width, image.Height);
        }
        catch (ImageRejectedException ex) when (ex.OutOfMemory)
        {
            throw StepFailure.Retryable($"{label} {ex.Message}", ex);
        }
        catch (ImageRejectedException ex)
        {
            throw StepFailure.Permanent($"{label} {ex.Message}", ex);
        }
    }

    private static void Guard(string what, Action action)
    {
        try { action(); }
        catch (IOException ex) { throw StepFailure.Retryable($"{what} in the workspace failed: {ex.Message}", ex); }
    }

    private static string Megabytes(long bytes) =>
        bytes < 1024 * 1024 ? $"{bytes:N0} bytes" : $"{bytes / (1024.0 * 1024.0):0.#} MB";
}
