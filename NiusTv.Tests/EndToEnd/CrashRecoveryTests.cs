using System.Text.Json;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The node process is killed (SIGKILL, the node alone) while a story is in compose; its ffmpeg dies with
/// it, a new process on the same data clears what the dead one left and finishes the story, and the steps completed
/// before the kill are not run again.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class CrashRecoveryTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-crash-").FullName;

    [Fact]
    public async Task A_killed_node_resumes_the_story_at_the_step_it_was_in()
    {
        var data = Path.Combine(_dir, "data");
        var @out = Path.Combine(_dir, "out");
        var assets = Path.Combine(_dir, "assets");
        Directory.CreateDirectory(Path.Combine(assets, "images"));
        PipelineEndToEndTests.WriteImage(Path.Combine(assets, "images", "a.jpg"), 1200, 800, SkiaSharp.SKEncodedImageFormat.Jpeg, SkiaSharp.SKColors.Teal);
        var paragraph = string.Join(' ', Enumerable.Repeat("The river rose through the night and the bridge stayed closed until the engineers could inspect it.", 4));
        var file = Path.Combine(_dir, "flood.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id = "river-flood", title = "River floods the old town", paragraphs = new[] { paragraph, paragraph },
            images = new[] { new { uri = "images/a.jpg", caption = "The bridge", paragraph = 0 } },
            output = new { width = 1280, height = 720, fps = 30 },
        }));

        JsonElement before;
        var admin = $"127.0.0.1:{LoopbackPorts.Free()}";
        await using (var node = await NodeProcess.StartAsync(data, @out, assets, admin))
        {
            Assert.Equal(0, (await node.CliAsync("publish", file)).ExitCode);
            before = await node.WaitForAsync("river-flood", s => Step(s, "compose").GetProperty("state").GetString() == "running"
                && Step(s, "compose").GetProperty("progress").GetDouble() > 0.05, TimeSpan.FromMinutes(2));
            node.KillNodeOnly();
        }
        Assert.False(File.Exists(Path.Combine(@out, "videos", "river-flood.mp4")));
        var workspace = Path.Combine(data, "workspaces", "river-flood", "r1");
        var parts = Directory.GetFiles(workspace, "*.part.*");
        Assert.NotEmpty(parts); // the video compose was writing when it died
        var deadNodesTemp = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"niustv-festival-p{DeadPid()}-crashtest"));
        File.WriteAllText(Path.Combine(deadNodesTemp.FullName, "utt.wav"), "left by a node that died");

        await using (var node = await NodeProcess.StartAsync(data, @out, assets, admin))
        {
            Assert.All(parts, p => Assert.False(File.Exists(p), $"{p} was left"));
            Assert.False(Directory.Exists(deadNodesTemp.FullName), $"{deadNodesTemp.FullName} was left");
            var after = await node.WaitForAsync("river-flood", NodeProcess.Finished, TimeSpan.FromMinutes(4));
            Assert.True(after.GetProperty("state").GetString() == "completed", after.ToString());
            foreach (var name in new[] { "init", "speech" })
            {
                var step = Step(after, name);
                Assert.Equal(1, step.GetProperty("attempts").GetInt32());
                Assert.Equal(Step(before, name).GetProperty("completedAt").GetString(), step.GetProperty("completedAt").GetString());
                Assert.Single(step.GetProperty("timeline").EnumerateArray());
            }
            var compose = Step(after, "compose");
            Assert.Equal(["interrupted", "completed"], compose.GetProperty("timeline").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));
            Assert.True(File.Exists(after.GetProperty("video").GetString()));
        }
    }

    [Fact]
    public async Task Festival_dies_with_a_node_killed_alone_instead_of_speaking_on_for_nobody()
    {
        var data = Path.Combine(_dir, "data");
        var assets = Path.Combine(_dir, "assets");
        Directory.CreateDirectory(assets);
        // About 12 s of Festival on this machine: long enough that a survivor would still be running when checked.
        var paragraph = string.Join(' ', Enumerable.Repeat("The river rose through the night and the bridge stayed closed until the engineers could inspect it.", 45));
        var file = Path.Combine(_dir, "long.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id = "long-read", title = "A long read", paragraphs = new[] { paragraph, paragraph },
            output = new { width = 320, height = 180, fps = 10 },
        }));
        await using var node = await NodeProcess.StartAsync(data, Path.Combine(_dir, "out"), assets);
        Assert.Equal(0, (await node.CliAsync("publish", file)).ExitCode);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<int> festival;
        while ((festival = ChildrenOf(node.Pid).Where(p => Command(p).Contains("festival")).ToList()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "Festival never started:\n" + node.Log);
            await Task.Delay(50);
        }
        node.KillNodeOnly();
        // The watchdog acts when the node's end of its pipe closes: within moments, long before Festival would finish.
        var gone = DateTime.UtcNow.AddSeconds(3);
        while (festival.Any(Alive) && DateTime.UtcNow < gone) await Task.Delay(50);
        Assert.Empty(festival.Where(Alive).Select(p => $"{p}: {Command(p)}"));
    }

    /// <summary>Processes started by the node: those whose environment carries its orphan-guard tag (pid first).</summary>
    private static List<int> ChildrenOf(int nodePid) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid => pid != nodePid && Environ(pid).Any(v => v.StartsWith($"NIUSTV_NODE_PROCESS={nodePid}-", StringComparison.Ordinal)))
            .ToList();

    private static string[] Environ(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/environ").Split('\0'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static bool Alive(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static string Command(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }

    /// <summary>A pid no process has now: what a node that died earlier leaves in its temp folder names.</summary>
    private static int DeadPid()
    {
        for (var pid = 4_000_000; ; pid--) if (!Directory.Exists($"/proc/{pid}")) return pid;
    }

    private static JsonElement Step(JsonElement story, string name) =>
        story.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
