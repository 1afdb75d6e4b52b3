using NiusTv.Steps.Compose;
using NiusTv.Steps.Storage;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Publish;

/// <summary>Last step: puts the composed video and its poster into the output store as
/// <c>videos/&lt;id&gt;.mp4</c> and <c>videos/&lt;id&gt;.jpg</c>, with the caption files compose wrote beside them
/// (<c>&lt;id&gt;.vtt</c>, <c>&lt;id&gt;.srt</c>, <c>&lt;id&gt;.words.json</c>). A story with renditions publishes each
/// the same way under <c>&lt;id&gt;-&lt;name&gt;</c> (<c>videos/&lt;id&gt;-portrait.mp4</c>…), and removes what an earlier
/// revision published under the bare id. A new revision of a story replaces them.
/// Its artifacts keep the keys of the files it published (<see cref="Artifacts.Video"/>…), with where each went as
/// their path.</summary>
public sealed class PublishStep : IStoryStep
{
    private static readonly ArtifactKey[] Published = [Artifacts.Video, Artifacts.Poster, Artifacts.CaptionsVtt, Artifacts.CaptionsSrt, Artifacts.CaptionWords];

    public static readonly StepDefinition Definition = new("publish", inputs: Published, outputs: Published, PoolSize.Fixed(2));

    private readonly IVideoStore _store;

    public PublishStep(IVideoStore store) => _store = store;

    public string Name => Definition.Name;
    public string Backend => _store.Kind;

    /// <summary>The name a story's published files share under <c>videos/</c>, before the extension: its id, or
    /// <c>&lt;id&gt;-&lt;rendition&gt;</c> for each of its renditions.</summary>
    public static string PublishedName(string storyId, string? rendition) => rendition is null ? storyId : $"{storyId}-{rendition}";

    /// <summary>Whether <paramref name="name"/> is one that <see cref="PublishedName"/> makes (ids and rendition names
    /// both hold '-', so every split is tried).</summary>
    public static bool IsPublishedName(string name) =>
        StoryParser.IsValidId(name) || Enumerable.Range(1, Math.Max(0, name.Length - 2))
            .Any(i => name[i] == '-' && StoryParser.IsValidId(name[..i]) && StoryParser.IsRenditionName(name[(i + 1)..]));

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var id = input.Story.Id;
        // All or none: a poster or captions without their video (or an old video under new captions) is worse than
        // a retry. The video goes first where the store cannot do all at once, being the one a full store refuses.
        // A story with renditions publishes each as <id>-<name>, every rendition's files in the same one go.
        var files = new List<(ArtifactKey Key, string Path, string ObjectName, string ContentType)>();
        var absent = new List<string>();
        IEnumerable<(string? Rendition, string Base)> outputs = input.Story.HasRenditions
            ? input.Story.Outputs.Select(r => ((string?)r.Name, "videos/" + PublishedName(id, r.Name)))
            : [(null, "videos/" + PublishedName(id, null))];
        void Add(ArtifactKey key, string objectName, string contentType)
        {
            var path = input.PathOf(key);
            if (!File.Exists(path))
                throw StepFailure.Permanent($"the artifact '{key}' is listed but {path} does not exist; the story must be composed again");
            files.Add((key, path, objectName, contentType));
        }
        foreach (var (rendition, name) in outputs)
        {
            foreach (var (artifact, suffix, type) in Required) Add(Artifacts.OfRendition(artifact, rendition), name + suffix, type);
            foreach (var (artifact, suffix, type) in Sidecars)
            {
                var key = Artifacts.OfRendition(artifact, rendition);
                // Listed only when the story asked for caption files (captions "sidecar" or "both").
                if (input.Has(key)) Add(key, name + suffix, type);
                else absent.Add(name + suffix);
            }
        }
        // Videos first (a stable sort): the order PutAll writes in where it cannot write all at once.
        var ordered = files.OrderBy(f => f.ContentType == "video/mp4" ? 0 : 1).ToList();
        var placed = await PutAllAsync(ordered.Select(f => (f.Path, f.ObjectName, f.ContentType)).ToList(), ct);
        // A revision without caption files (captions "burned" or "none") must not leave the last revision's beside
        // its video: they would caption a text that is no longer there.
        foreach (var objectName in absent) await DeleteAsync(objectName, ct);
        // A story that now has renditions no longer has the one video an earlier revision may have published under
        // its bare id. That name is this story's alone, so it goes. (The reverse, renditions an earlier revision had,
        // is left: "<id>-<name>" can also be another story's own id, and this step does not know the earlier names.)
        if (input.Story.HasRenditions)
            foreach (var suffix in Required.Concat(Sidecars).Select(p => p.Suffix))
                await DeleteAsync("videos/" + PublishedName(id, null) + suffix, ct);
        progress.Report(1.0);

        var output = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var n = 0; n < ordered.Count; n++) output[ordered[n].Key] = placed[n];
        return new StepOutput(output);
    }

    /// <summary>What every published output has: compose artifact, object name suffix, content type.</summary>
    private static readonly (ArtifactKey Artifact, string Suffix, string ContentType)[] Required =
    [
        (Artifacts.Video, ".mp4", "video/mp4"),
        (Artifacts.Poster, ".jpg", "image/jpeg"),
    ];

    /// <summary>Caption files beside the video: compose artifact, object name suffix, content type.</summary>
    private static readonly (ArtifactKey Artifact, string Suffix, string ContentType)[] Sidecars =
    [
        (Artifacts.CaptionsVtt, ".vtt", "text/vtt; charset=utf-8"),
        (Artifacts.CaptionsSrt, ".srt", "application/x-subrip; charset=utf-8"),
        (Artifacts.CaptionWords, ".words.json", "application/json; charset=utf-8"),
    ];

    private async Task DeleteAsync(string objectName, CancellationToken ct)
    {
        try { await _store.DeleteAsync(objectName, ct); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StepFailure.Retryable($"removing the earlier revision's '{objectName}' from the output store ({_store.Describe}) failed: {ex.Message}", ex);
        }
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
