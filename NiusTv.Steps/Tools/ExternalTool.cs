using System.Diagnostics;

namespace NiusTv.Steps.Tools;

/// <summary>An external program (Festival, ffmpeg, pocketsphinx…) found on PATH, run to completion or started as a
/// <see cref="ToolProcess"/> for streaming.</summary>
public sealed class ExternalTool
{
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
        await using var process = Start(args, workingDirectory, redirectStdin: stdin is not null);
        var stdoutTask = process.StdoutText.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await process.StdinText.WriteAsync(stdin.AsMemory(), ct);
            process.StdinText.Close();
        }
        await process.WaitAsync(timeout, ct);
        var stdout = await stdoutTask;
        return new Result(process.ExitCode, stdout, process.StderrTail);
    }

    /// <summary>Starts the program for streaming use (raw frames into ffmpeg's stdin, segment lines out of
    /// Festival's stdout), tagged so it dies with the node. The caller disposes the handle.</summary>
    public ToolProcess Start(IEnumerable<string> args, string? workingDirectory = null, bool redirectStdin = true,
        ToolStdout stdout = ToolStdout.Read)
    {
        var path = Locate(Program) ?? throw StepFailure.Permanent(
            $"the program '{Program}' is not installed on this node (run scripts/setup, or install it with apt-get)");
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardInput = redirectStdin,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        OrphanGuard.TagChild(psi);
        return ToolProcess.Start(psi, stdout);
    }
}
