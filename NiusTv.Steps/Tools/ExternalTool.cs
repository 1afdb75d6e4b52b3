using System.Diagnostics;
using System.Text;

namespace NiusTv.Steps.Tools;

/// <summary>Runs an external program (Festival, ffmpeg…) as a child process with a timeout. Its stderr is
/// kept (the tail) because that is what a person needs to read when the tool fails.</summary>
public sealed class ExternalTool
{
    private const int StderrTailChars = 4000;

    public string Program { get; }

    public ExternalTool(string program) => Program = program;

    /// <summary>Finds <paramref name="program"/> on PATH (or accepts an existing path).</summary>
    public static string? Locate(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public bool IsAvailable => Locate(Program) is not null;

    public sealed record Result(int ExitCode, string Stdout, string StderrTail);

    /// <summary>Runs to completion. Kills the process tree on timeout or cancellation.</summary>
    public async Task<Result> RunAsync(IEnumerable<string> args, TimeSpan timeout, CancellationToken ct,
        string? stdin = null, string? workingDirectory = null)
    {
        using var process = Start(args, workingDirectory, redirectStdin: stdin is not null);
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => AppendTail(stderr, e.Data);
        process.BeginErrorReadLine();
        var stdoutTask = process.StandardOutput.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            process.StandardInput.Close();
        }
        await WaitAsync(process, timeout, ct);
        var stdout = await stdoutTask;
        process.WaitForExit(); // flushes the async stderr reader
        lock (stderr) return new Result(process.ExitCode, stdout, stderr.ToString());
    }

    /// <summary>Starts the process for streaming use (e.g. raw frames into ffmpeg's stdin). The caller
    /// owns the process and must dispose it.</summary>
    public Process Start(IEnumerable<string> args, string? workingDirectory = null, bool redirectStdin = true)
    {
        var path = Locate(Program) ?? throw StepFailure.Permanent(
            $"the program '{Program}' is not installed on this node (run scripts/setup, or install it with apt-get)");
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        OrphanGuard.TagChild(psi);
        return Process.Start(psi) ?? throw StepFailure.Retryable($"could not start '{Program}'");
    }

    public static async Task WaitAsync(Process process, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (ct.IsCancellationRequested) throw;
            throw StepFailure.Retryable($"'{Path.GetFileName(process.StartInfo.FileName)}' did not finish within {timeout.TotalSeconds:0} s and was stopped");
        }
    }

    public static void AppendTail(StringBuilder sb, string? line)
    {
        if (line is null) return;
        lock (sb)
        {
            sb.AppendLine(line);
            if (sb.Length > StderrTailChars * 2) sb.Remove(0, sb.Length - StderrTailChars);
        }
    }
}
