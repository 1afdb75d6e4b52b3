namespace NiusTv.Steps.Storage;

/// <summary>Story images from a folder on this machine (<c>--assets DIR</c>, default <c>./samples</c>).</summary>
public sealed class LocalFolderAssetStore : IAssetStore
{
    private readonly ContainedPath _paths;

    public LocalFolderAssetStore(string root) => _paths = new ContainedPath(root);

    public string Kind => "local";
    public string Describe => $"local folder '{_paths.Root}'";

    public Task<AssetInfo?> StatAsync(string uri, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var file = new FileInfo(Resolve(uri));
        // A folder at that name is as useless to the caller as nothing at all.
        return Task.FromResult(file.Exists ? new AssetInfo(file.Length) : null);
    }

    public Task<Stream> OpenReadAsync(string uri, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var path = Resolve(uri);
        // Opening a FIFO for reading blocks until a writer comes, which may be never; devices and sockets are no
        // better. They all report a size of 0, as does an empty file, which is no image either: refuse them all by
        // the size, before anything is opened, so the caller gets an answer at once instead of a hang.
        if (new FileInfo(path) is { Exists: true, Length: 0 })
            throw new AssetRejectedException($"'{uri}' is empty or is not a regular file (a FIFO, socket or device); an asset must be a regular file with content");
        Stream stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        return Task.FromResult(stream);
    }

    private string Resolve(string uri)
    {
        if (uri.StartsWith(Stories.AssetUri.GcsPrefix, StringComparison.Ordinal))
            throw new AssetRejectedException($"'{uri}' is a Cloud Storage uri, but the assets come from {Describe}; start with --assets gs://BUCKET or use a relative path");
        return _paths.Resolve(uri);
    }
}
