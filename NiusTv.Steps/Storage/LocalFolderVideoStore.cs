namespace NiusTv.Steps.Storage;

/// <summary>Finished videos in a folder on this machine (<c>--out DIR</c>, default <c>./out</c>).</summary>
public sealed class LocalFolderVideoStore : IVideoStore
{
    private const int CopyBufferBytes = 1 << 20;
    private readonly ContainedPath _paths;

    public LocalFolderVideoStore(string root)
    {
        Directory.CreateDirectory(root);
        _paths = new ContainedPath(root);
    }

    public string Kind => "local";
    public string Describe => $"local folder '{_paths.Root}'";

    /// <remarks>The content type only matters to object stores that serve it back; a file system has nowhere to keep it.</remarks>
    public async Task<string> PutAsync(string localFile, string objectName, string contentType, CancellationToken ct)
    {
        var target = _paths.Resolve(objectName);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);

        // The temp file sits in the target's own folder so the final move is a rename on one file system,
        // which is atomic: a player or web server never sees a half-copied video under the final name.
        var temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes,
                             FileOptions.Asynchronous | FileOptions.SequentialScan))
            await using (var destination = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferBytes,
                             FileOptions.Asynchronous))
            {
                await source.CopyToAsync(destination, CopyBufferBytes, ct);
                // Data on disk before the rename, or a crash could leave the final name pointing at an empty file.
                destination.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
            return target;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public Task<bool> ExistsAsync(string objectName, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(_paths.Resolve(objectName)));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
