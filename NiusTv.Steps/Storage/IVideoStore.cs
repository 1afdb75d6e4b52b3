namespace NiusTv.Steps.Storage;

/// <summary>Where finished videos go (<c>--out</c>): a local folder or a bucket prefix.</summary>
public interface IVideoStore
{
    /// <summary>Short store kind for timelines and metrics: <c>local</c>, <c>gcs</c>.</summary>
    string Kind { get; }

    /// <summary>Human description used in messages, e.g. <c>local folder '/srv/nius/out'</c>.</summary>
    string Describe { get; }

    /// <summary>Uploads <paramref name="localFile"/> as <paramref name="objectName"/> (e.g. <c>videos/x.mp4</c>),
    /// replacing any earlier version in one step: readers see the old object or the new one, never a part.
    /// Returns where it now lives (absolute path or URI).</summary>
    Task<string> PutAsync(string localFile, string objectName, string contentType, CancellationToken ct);

    Task<bool> ExistsAsync(string objectName, CancellationToken ct);

    /// <summary>Removes <paramref name="objectName"/> if it is there (a caption file a new revision no longer has);
    /// an object that is not there is no error.</summary>
    Task DeleteAsync(string objectName, CancellationToken ct);

    /// <summary>Publishes several files together: where the store can, all of them or none (a video and its poster).
    /// Returns where each now lives, in order. The default puts them one after the other, first to last, so the
    /// caller puts the one most likely to fail (the biggest) first.</summary>
    async Task<IReadOnlyList<string>> PutAllAsync(IReadOnlyList<(string LocalFile, string ObjectName, string ContentType)> files, CancellationToken ct)
    {
        var placed = new List<string>();
        foreach (var (file, name, type) in files) placed.Add(await PutAsync(file, name, type, ct));
        return placed;
    }
}
