using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The node process is killed (SIGKILL) while a story is in compose; a new process on the same data
/// finishes it, and the steps completed before the kill are not run again.</summary>
[Collection("nius processes")]
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
        var admin = $"127.0.0.1:{Nius.FreePort()}";
        await using (var node = await NodeProcess.StartAsync(data, @out, assets, admin))
        {
            Assert.Equal(0, (await node.CliAsync("publish", file)).ExitCode);
            before = await node.WaitForAsync("river-flood", s => Step(s, "compose").GetProperty("state").GetString() == "running"
                && Step(s, "compose").GetProperty("progress").GetDouble() > 0.05, TimeSpan.FromMinutes(2));
            node.Kill();
        }
        Assert.False(File.Exists(Path.Combine(@out, "videos", "river-flood.mp4")));

        await using (var node = await NodeProcess.StartAsync(data, @out, assets, admin))
        {
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

    private static JsonElement Step(JsonElement story, string name) =>
        story.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
