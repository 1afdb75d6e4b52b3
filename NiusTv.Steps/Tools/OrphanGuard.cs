using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NiusTv.Steps.Tools;

/// <summary>Makes the node's child processes (Festival, ffmpeg, pocketsphinx…) die with it, even after kill -9,
/// and clears what a node that died left behind. Every child started through <see cref="ExternalTool"/> carries
/// this process's tag in its environment; a small watchdog in its own session waits on a pipe only this process
/// holds, and when the pipe closes (the process ended, however) it kills every process that carries the tag.
/// No native code: the kernel closing the pipe is the death signal.</summary>
public static partial class OrphanGuard
{
    public const string TagVariable = "NIUSTV_NODE_PROCESS";

    private static readonly object Gate = new();
    private static Process? _watchdog;

    /// <summary>This process's tag: its pid and start time, so a reused pid never matches.</summary>
    public static string Tag { get; } = $"{Environment.ProcessId}-{Process.GetCurrentProcess().StartTime.ToUniversalTime():yyyyMMddHHmmssfff}";

    /// <summary>Starts the watchdog once per process; later calls do nothing. Without setsid or bash (not Linux) it
    /// is skipped, and children may outlive a killed node.</summary>
    public static void Start()
    {
        lock (Gate)
        {
            if (_watchdog is { HasExited: false }) return;
            var setsid = ExternalTool.Locate("setsid");
            var bash = ExternalTool.Locate("bash");
            if (setsid is null || bash is null || !Directory.Exists("/proc")) return;
            var psi = new ProcessStartInfo(setsid)
            {
                RedirectStandardInput = true, RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false,
                WorkingDirectory = "/",
            };
            foreach (var a in new[] { bash, "-c", WatchdogScript, "nius-orphan-guard", Tag }) psi.ArgumentList.Add(a);
            psi.Environment.Remove(TagVariable);
            _watchdog = Process.Start(psi);
        }
    }

    /// <summary>Tags a child's environment so the watchdog can find it.</summary>
    public static void TagChild(ProcessStartInfo psi) => psi.Environment[TagVariable] = Tag;

    // Reads until the node's end of the pipe closes, then kills every tagged process (twice: a child may have been
    // forking while the first sweep ran). Grandchildren inherit the environment, so they go too.
    private const string WatchdogScript = """
        exec >/dev/null 2>&1
        tag="$1"
        while read -r _; do :; done
        for sweep in 1 2; do
          # One grep over every environment (NUL-separated, whole entries): a loop of tr and grep per process took
          # seconds on a busy machine while the orphans spoke on.
          for env in $(grep -lszxF "NIUSTV_NODE_PROCESS=$tag" /proc/[0-9]*/environ); do
            pid=${env#/proc/}; pid=${pid%/environ}
            [ "$pid" = "$$" ] || kill -KILL "$pid" 2>/dev/null
          done
          sleep 0.2
        done
        """;

    /// <summary>A temp folder whose name says which process made it, so a node started later can tell a dead node's
    /// leftovers from a live one's.</summary>
    public static DirectoryInfo CreateTempFolder(string kind) =>
        Directory.CreateTempSubdirectory($"niustv-{kind}-p{Environment.ProcessId}-");

    [GeneratedRegex(@"^niustv-[a-z0-9]+-p(?<pid>\d+)-")]
    private static partial Regex TempFolderName();

    /// <summary>Removes temp folders of node processes that are gone, and half-written results
    /// (<c>*.part.*</c>) under <paramref name="workspaceRoot"/>, which only this node writes. Call before any step
    /// runs. Returns what was removed.</summary>
    public static IReadOnlyList<string> RemoveLeftovers(string? workspaceRoot)
    {
        var removed = new List<string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "niustv-*"))
            {
                var m = TempFolderName().Match(Path.GetFileName(dir));
                if (!m.Success || int.Parse(m.Groups["pid"].Value) is var pid && (pid == Environment.ProcessId || IsRunning(pid))) continue;
                if (TryDelete(() => Directory.Delete(dir, recursive: true))) removed.Add(dir);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (workspaceRoot is not null && Directory.Exists(workspaceRoot))
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
            foreach (var file in Directory.EnumerateFiles(workspaceRoot, "*.part.*", options))
                if (TryDelete(() => File.Delete(file))) removed.Add(file);
        }
        return removed;
    }

    private static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid}");

    private static bool TryDelete(Action delete)
    {
        try
        {
            delete();
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
