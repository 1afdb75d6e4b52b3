using System.Diagnostics;

namespace NiusTv.Tests;

/// <summary>A small tmpfs the test mounts (root, as the CI runs), for what a full disk does to the node: the journal,
/// the output store. Unmounted on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    public string Path { get; }

    public SmallDisk(string path, int megabytes)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
    }

    /// <summary>Writes a file until the filesystem has no room left; returns its path (delete it to free the space).</summary>
    public string FillUp()
    {
        var file = System.IO.Path.Combine(Path, "filler");
        var block = new byte[64 * 1024];
        try
        {
            using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1);
            while (true) stream.Write(block);
        }
        catch (IOException) { } // no space left: the point
        return file;
    }

    public void Dispose()
    {
        try { Run("umount", "-l", Path); } catch (InvalidOperationException) { }
    }

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}. " +
                "This test needs to mount a small tmpfs (root, as the CI runs).");
    }
}
