using NiusTv.Steps.Storage;

namespace NiusTv.Steps.Publish;

/// <summary>Last step: puts the composed video and its poster into the output store as
/// <c>videos/&lt;id&gt;.mp4</c> and <c>videos/&lt;id&gt;.jpg</c>. A new revision of a story replaces both.</summary>
public sealed class PublishStep : IStoryStep
{
    private readonly IVideoStore _store;

    public PublishStep(IVideoStore store) => _store = store;

    public string Name => "publish";
    public string Backend => _store.Kind;

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var video = input.PathOf("video.mp4");
        var poster = input.PathOf("poster.jpg");
        foreach (var (artifact, path) in new[] { ("video.mp4", video), ("poster.jpg", poster) })
        {
            if (!File.Exists(path))
                throw StepFailure.Permanent($"the artifact '{artifact}' is listed but {path} does not exist; the story must be composed again");
        }

        var id = input.Story.Id;
        // Poster first: whoever notices a new video (a listing, a feed) can then count on its poster being there.
        var posterAt = await PutAsync(poster, $"videos/{id}.jpg", "image/jpeg", ct);
        progress.Report(0.2);
        var videoAt = await PutAsync(video, $"videos/{id}.mp4", "video/mp4", ct);
        progress.Report(1.0);

        return new StepOutput(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["video"] = videoAt,
            ["poster"] = posterAt,
        });
    }

    private async Task<string> PutAsync(string localFile, string objectName, string contentType, CancellationToken ct)
    {
        try
        {
            return await _store.PutAsync(localFile, objectName, contentType, ct);
        }
        catch (AssetRejectedException ex)
        {
            throw StepFailure.Permanent($"the output store ({_store.Describe}) refused '{objectName}': {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw StepFailure.Retryable($"writing '{objectName}' to the output store ({_store.Describe}) failed: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            // The video itself is fine; an output folder with the wrong permissions is fixed by operators, and
            // the story should go out once it is, not be failed for good.
            throw StepFailure.Retryable($"writing '{objectName}' to the output store ({_store.Describe}) was denied: {ex.Message}", ex);
        }
    }
}
