namespace NiusTv.Steps.Storage;

/// <summary>Maps a relative name onto a folder and proves the result stays inside it, after following
/// symlinks. The parser already rejects <c>..</c> and absolute paths; this is the second wall, for uris
/// that reach a store by another route and for symlinks planted inside the root.</summary>
internal sealed class ContainedPath
{
    // Same bound the kernel uses for symlink chains (ELOOP), so a link cycle ends in an error, not a hang.
    private const int MaxLinkHops = 40;

    private readonly string _root;
    private readonly string _realRoot;

    public ContainedPath(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _realRoot = Path.TrimEndingDirectorySeparator(RealPath(_root));
    }

    public string Root => _root;

    /// <summary>The real (symlink-free) path for <paramref name="relative"/>, or an
    /// <see cref="AssetRejectedException"/> when it is not a plain relative name or leads outside the root.</summary>
    public string Resolve(string relative)
    {
        if (Stories.AssetUri.Problem(relative, allowGcs: false) is { } problem)
            throw new AssetRejectedException($"'{relative}' {problem}");

        var lexical = Path.GetFullPath(Path.Combine(_root, relative));
        if (!IsUnder(lexical, _root))
            throw new AssetRejectedException($"'{relative}' leads outside {_root}");

        string real;
        try { real = RealPath(lexical); }
        catch (SymlinkLoopException)
        {
            // A cycle never resolves however often it is asked: a permanent, named refusal, not an I/O error to retry.
            throw new AssetRejectedException($"'{relative}' is a symbolic link loop (more than {MaxLinkHops} links deep)");
        }
        if (!IsUnder(real, _realRoot))
            throw new AssetRejectedException($"'{relative}' leads outside {_root} through a symbolic link (to {real})");
        return real;
    }

    private static bool IsUnder(string path, string root) =>
        path.Length > root.Length
        && path.StartsWith(root, StringComparison.Ordinal)
        && (path[root.Length] == Path.DirectorySeparatorChar || root.EndsWith(Path.DirectorySeparatorChar));

    /// <summary>Follows every symlink along <paramref name="fullPath"/>, component by component (what realpath(3)
    /// does). Components that do not exist yet are kept as they are: a file that is about to be written has no
    /// links of its own, only its existing parents can.</summary>
    internal static string RealPath(string fullPath)
    {
        var hops = 0;
        return Walk(Path.GetFullPath(fullPath));

        string Walk(string path)
        {
            var root = Path.GetPathRoot(path)!;
            var current = root;
            var parts = path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < parts.Length; i++)
            {
                var next = Path.Combine(current, parts[i]);
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (!info.Exists && info is FileInfo && info.LinkTarget is null)
                {
                    // Nothing here (not even a dangling link): the rest cannot contain links either.
                    return Path.Combine([current, .. parts[i..]]);
                }
                if (info.LinkTarget is { } target)
                {
                    if (++hops > MaxLinkHops) throw new SymlinkLoopException($"too many levels of symbolic links at {next}");
                    var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                    current = Walk(Path.GetFullPath(resolved));
                }
                else current = next;
            }
            return current;
        }
    }
}

/// <summary>A chain of symbolic links longer than the kernel follows: a cycle, or as good as one.</summary>
internal sealed class SymlinkLoopException(string message) : IOException(message);
