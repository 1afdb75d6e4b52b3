using System.Diagnostics;
using NiusTv.Steps;
using NiusTv.Steps.Tools;
using Xunit;

namespace NiusTv.Tests.Tools;

public sealed class ToolProcessTests
{
    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
    }

    [Fact]
    public async Task A_tool_that_overruns_its_timeout_is_killed_and_fails_retryable_naming_the_tool()
    {
        await using var tool = new ExternalTool("sleep").Start(["30"], redirectStdin: false);
        var failure = await Assert.ThrowsAsync<StepFailure>(() => tool.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.True(failure.Transient);
        Assert.Equal("'sleep' did not finish within 1 s and was stopped", failure.Message);
        tool.WaitForExit();
        Assert.False(IsRunning(tool.Id));
    }

    [Fact]
    public async Task Cancelling_the_wait_kills_the_tool_and_cancels()
    {
        await using var tool = new ExternalTool("sleep").Start(["30"], redirectStdin: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tool.WaitAsync(TimeSpan.FromMinutes(1), cts.Token));
        tool.WaitForExit();
        Assert.False(IsRunning(tool.Id));
    }

    [Fact]
    public async Task Disposing_a_tool_that_still_runs_kills_it()
    {
        int pid;
        await using (var tool = new ExternalTool("sleep").Start(["30"], redirectStdin: false))
        {
            pid = tool.Id;
            Assert.True(IsRunning(pid));
        }
        Assert.False(IsRunning(pid));
    }

    [Fact]
    public async Task Stdin_reaches_the_tool_stdout_comes_back_and_the_stderr_tail_and_exit_code_are_kept()
    {
        await using var tool = new ExternalTool("sh").Start(["-c", "cat; echo 'something broke' >&2; exit 3"]);
        await tool.StdinText.WriteAsync("frames");
        tool.StdinText.Close();
        var stdout = await tool.StdoutText.ReadToEndAsync();
        await tool.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal("frames", stdout);
        Assert.Equal(3, tool.ExitCode);
        Assert.Equal("something broke", tool.Tail(2000, "(none)"));
    }

    [Fact]
    public async Task A_widened_stdin_takes_a_whole_frame_that_the_tool_has_not_read_yet()
    {
        // sleep never reads: a write larger than the pipe would wait for ever.
        await using var tool = new ExternalTool("sleep").Start(["30"]);
        tool.WidenPipes(1 << 20);
        var frame = new byte[512 * 1024];
        await tool.Stdin.WriteAsync(frame).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task An_unwidened_stdin_holds_less_than_a_frame()
    {
        await using var tool = new ExternalTool("sleep").Start(["30"]);
        var write = tool.Stdin.WriteAsync(new byte[512 * 1024]).AsTask();
        await Task.Delay(500);
        Assert.False(write.IsCompleted);
        tool.Kill();
        await Assert.ThrowsAnyAsync<Exception>(() => write.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void A_program_that_is_not_installed_is_a_permanent_failure_saying_so()
    {
        var failure = Assert.Throws<StepFailure>(() => new ExternalTool("nius-no-such-tool").Start([]));
        Assert.False(failure.Transient);
        Assert.Contains("'nius-no-such-tool' is not installed", failure.Message);
    }
}
