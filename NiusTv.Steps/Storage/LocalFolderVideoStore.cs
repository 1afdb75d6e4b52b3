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

    /// <summary>All or none: every file is copied in full (and flushed) under a temporary name beside its target
    /// first, which is where a full disk fails; only then are they renamed into place, which needs no space.</summary>
    public async Task<IReadOnlyList<string>> PutAllAsync(IReadOnlyList<(string LocalFile, string ObjectName, string ContentType)> files, CancellationToken ct)
    {
        var staged = new List<(string Temp, string Target)>();
        try
        {
            foreach (var (file, name, _) in files)
            {
                var target = _paths.Resolve(name);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
                staged.Add((temp, target));
                await CopyFlushedAsync(file, temp, ct);
            }
            foreach (var (temp, target) in staged) File.Move(temp, target, overwrite: true);
            return staged.Select(s => s.Target).ToList();
        }
        catch
        {
            foreach (var (temp, _) in staged) TryDelete(temp);
            throw;
        }
    }

    private static async Task CopyFlushedAsync(string from, string to, CancellationToken ct)
    {
        await using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var destination = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferBytes,
            FileOptions.Asynchronous);
        await source.CopyToAsync(destination, CopyBufferBytes, ct);
        destination.Flush(flushToDisk: true);
    }

    public Task DeleteAsync(string objectName, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var path = _paths.Resolve(objectName);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
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
