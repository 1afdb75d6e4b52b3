using System.Diagnostics;
using System.Globalization;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;

namespace NiusTv.Steps.Tools;

/// <summary>What becomes of a child's stdout.</summary>
public enum ToolStdout
{
    /// <summary>Piped to the caller, who reads <see cref="ToolProcess.Stdout"/> (frames, segment lines).</summary>
    Read,
    /// <summary>Drained and dropped: an unread pipe fills up and blocks the tool.</summary>
    Discard,
    /// <summary>Kept with stderr in one tail, for tools that log on both (the Pub/Sub emulator).</summary>
    Tail,
}

/// <summary>One running child process (ffmpeg, Festival, pocketsphinx, gcloud, pg_ctl), the only place that
/// starts, waits for and kills them. Its stderr is read from the start and its tail kept, because that is what a
/// person needs when the tool fails; waiting has a timeout and kills the whole tree on timeout or cancellation; and
/// disposing kills a tool still running, so no caller leaves one behind on an exception path.</summary>
public sealed class ToolProcess : IAsyncDisposable, IDisposable
{
    public const int StderrTailChars = 4000;

    private readonly Process _process;
    private readonly StringBuilder _tail = new();

    /// <summary>The program's file name, as failure sentences name it.</summary>
    public string Name { get; }

    private readonly ToolStdout _stdout;

    private ToolProcess(Process process, ToolStdout stdout)
    {
        _process = process;
        _stdout = stdout;
        Name = Path.GetFileName(process.StartInfo.FileName);
        Id = process.Id;
        process.ErrorDataReceived += (_, e) => AppendTail(_tail, e.Data);
        process.BeginErrorReadLine();
        if (stdout == ToolStdout.Read) return;
        if (stdout == ToolStdout.Tail) process.OutputDataReceived += (_, e) => AppendTail(_tail, e.Data);
        process.BeginOutputReadLine();
    }

    /// <summary>Starts <paramref name="psi"/> with stdout and stderr redirected (stdin as the caller set it).</summary>
    /// <exception cref="StepFailure">retryable: the operating system did not start it.</exception>
    public static ToolProcess Start(ProcessStartInfo psi, ToolStdout stdout = ToolStdout.Read)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var process = Process.Start(psi) ?? throw StepFailure.Retryable($"could not start '{Path.GetFileName(psi.FileName)}'");
        return new ToolProcess(process, stdout);
    }

    /// <summary>The tool's stdin; only when it was started with stdin redirected.</summary>
    public Stream Stdin => _process.StandardInput.BaseStream;

    /// <summary>The tool's stdin as text; only when it was started with stdin redirected.</summary>
    public StreamWriter StdinText => _process.StandardInput;

    /// <summary>The tool's stdout as bytes (raw frames); only with <see cref="ToolStdout.Read"/>.</summary>
    public Stream Stdout => _process.StandardOutput.BaseStream;

    /// <summary>The tool's stdout as text (lines); only with <see cref="ToolStdout.Read"/>.</summary>
    public StreamReader StdoutText => _process.StandardOutput;

    /// <summary>Asks the kernel for a pipe of <paramref name="bytes"/> (Linux caps it at <c>/proc/sys/fs/pipe-max-size</c>,
    /// 1 MiB by default) between this process and the tool's stdin and stdout. A 64 KiB pipe holds a small part of a raw
    /// frame, so each side waits for the other on every frame; a pipe that holds a whole frame lets the writer hand it
    /// over and go on while the reader is busy. Best effort: elsewhere, or refused, the pipes stay as they are.</summary>
    public void WidenPipes(int bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        // A drained or tailed stdout is read line by line by the process class, which then lends out no stream.
        var streams = new[] { _process.StartInfo.RedirectStandardInput ? Stdin : null, _stdout == ToolStdout.Read ? Stdout : null };
        foreach (var stream in streams)
        {
            if (stream is not PipeStream pipe) continue;
            var size = Math.Min(bytes, MaxPipeBytes.Value);
            if (size > 0) _ = fcntl(pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, size);
        }
    }

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ

    private static readonly Lazy<int> MaxPipeBytes = new(() =>
    {
        try { return int.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException) { return 0; }
    });

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(nint fd, int cmd, int arg);

    /// <summary>The operating system's process id.</summary>
    public int Id { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The exit code, or "?" while it runs (a failure seen before the tool finished).</summary>
    public string ExitCodeText => _process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "?";

    /// <summary>The last <see cref="StderrTailChars"/> or so of stderr, as written.</summary>
    public string StderrTail
    {
        get { lock (_tail) return _tail.ToString(); }
    }

    /// <summary>The trimmed tail, cut to its last <paramref name="maxChars"/>, or <paramref name="ifEmpty"/>.</summary>
    public string Tail(int maxChars, string ifEmpty)
    {
        var s = StderrTail.Trim();
        return s.Length == 0 ? ifEmpty : s.Length > maxChars ? s[^maxChars..] : s;
    }

    /// <summary>Waits for the tool to exit, then for its stderr to be read to the end. On timeout or cancellation
    /// the whole tree is killed: cancellation throws <see cref="OperationCanceledException"/>, a timeout a
    /// retryable <see cref="StepFailure"/> naming the tool.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            if (ct.IsCancellationRequested) throw;
            throw StepFailure.Retryable($"'{Name}' did not finish within {timeout.TotalSeconds:0} s and was stopped");
        }
        _process.WaitForExit(); // flushes the async stderr reader
    }

    /// <summary>For a tool that already failed (it closed its pipe): gives it <paramref name="grace"/> to exit so its
    /// exit code and stderr are complete, and kills it after that. Never throws.</summary>
    public async Task WaitOrKillAsync(TimeSpan grace)
    {
        using var cts = new CancellationTokenSource(grace);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { Kill(); }
    }

    /// <summary>Blocks until the tool exited and its output was read to the end.</summary>
    public void WaitForExit() => _process.WaitForExit();

    /// <summary>Kills the tool and its children; nothing happens when it already exited.</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    /// <summary>Kills the tool when <paramref name="ct"/> is cancelled, for callers that block on its pipes.</summary>
    public CancellationTokenRegistration KillOnCancel(CancellationToken ct) => ct.Register(Kill);

    /// <summary>Kills a tool still running (its caller gave up on it) and waits a moment for it to go.</summary>
    public void Dispose()
    {
        Kill();
        try { _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { }
            catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }

    private static void AppendTail(StringBuilder sb, string? line)
    {
        if (line is null) return;
        lock (sb)
        {
            sb.AppendLine(line);
            if (sb.Length > StderrTailChars * 2) sb.Remove(0, sb.Length - StderrTailChars);
        }
    }
}
