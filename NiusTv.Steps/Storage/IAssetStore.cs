namespace NiusTv.Steps.Storage;

/// <summary>Where story images come from (<c>--assets</c>): a local folder or a bucket. Uris are the story's
/// own (already validated by the parser); a store still refuses any uri that would leave its root.</summary>
public interface IAssetStore
{
    /// <summary>Short store kind for timelines and metrics: <c>local</c>, <c>gcs</c>.</summary>
    string Kind { get; }

    /// <summary>Human description used in messages, e.g. <c>local folder '/srv/nius/samples'</c>.</summary>
    string Describe { get; }

    /// <summary>Size of the object, or null when there is none. Throws <see cref="AssetRejectedException"/> for a
    /// uri the store will not serve, <see cref="IOException"/> for failures worth retrying.</summary>
    Task<AssetInfo?> StatAsync(string uri, CancellationToken ct);

    /// <summary>Opens the object for reading. Throws <see cref="FileNotFoundException"/> when it is gone.</summary>
    Task<Stream> OpenReadAsync(string uri, CancellationToken ct);
}

/// <param name="Size">Bytes, as the store reports them before anything is read.</param>
public sealed record AssetInfo(long Size);

/// <summary>The store will not serve this uri at all (it escapes the root, uses a scheme the store does not
/// handle…). Retrying cannot help.</summary>
public sealed class AssetRejectedException(string message) : Exception(message);
