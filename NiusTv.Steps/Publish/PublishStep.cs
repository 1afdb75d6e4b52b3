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
        // Both or neither: a poster without its video (or an old video under a new poster) is worse than a retry.
        // The video goes first where the store cannot do both at once, being the one a full store refuses.
        var placed = await PutAllAsync([(video, $"videos/{id}.mp4", "video/mp4"), (poster, $"videos/{id}.jpg", "image/jpeg")], ct);
        var (videoAt, posterAt) = (placed[0], placed[1]);
        progress.Report(1.0);

        return new StepOutput(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["video"] = videoAt,
            ["poster"] = posterAt,
        });
    }

    private async Task<IReadOnlyList<string>> PutAllAsync(IReadOnlyList<(string, string, string)> files, CancellationToken ct)
    {
        var objectName = string.Join(" and ", files.Select(f => $"'{f.Item2}'"));
        try
        {
            return await _store.PutAllAsync(files, ct);
        }
        catch (AssetRejectedException ex)
        {
            throw StepFailure.Permanent($"the output store ({_store.Describe}) refused {objectName}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw StepFailure.Retryable($"writing {objectName} to the output store ({_store.Describe}) failed: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            // The video itself is fine; an output folder with the wrong permissions is fixed by operators, and
            // the story should go out once it is, not be failed for good.
            throw StepFailure.Retryable($"writing {objectName} to the output store ({_store.Describe}) was denied: {ex.Message}", ex);
        }
    }
}
