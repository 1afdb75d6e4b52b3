using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The operators' verbs against a real `nius node` process, as an operator (or a script) uses them.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class OperatorConsoleTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-ops-").FullName;
    private string Assets => Path.Combine(_dir, "assets");
    private NodeProcess _node = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Assets, "images"));
        PipelineEndToEndTests.WriteImage(Path.Combine(Assets, "images", "wide.jpg"), 1600, 600, SkiaSharp.SKEncodedImageFormat.Jpeg, SkiaSharp.SKColors.SteelBlue);
        _node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Assets);
    }

    private async Task<JsonElement> PublishAndFinishAsync(string id)
    {
        var file = Path.Combine(_dir, id + ".json");
        File.WriteAllText(file, JsonSerializer.Serialize(new
        {
            id, title = "Ferry timetable changes", paragraphs = new[] { "The winter ferry timetable starts on Monday." },
            images = new[] { new { uri = "images/wide.jpg", caption = "The ferry", paragraph = 0 } },
            output = new { width = 320, height = 180, fps = 25 },
        }));
        var published = await _node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        return await _node.WaitForAsync(id, NodeProcess.Finished, TimeSpan.FromMinutes(3));
    }

    private static Dictionary<string, JsonElement> Steps(JsonElement story) =>
        story.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);

    // The issue asks for `--from render`; this branch's pipeline has no render step yet, so compose plays its part.
    [Fact]
    public async Task Retry_from_compose_runs_only_compose_and_publish_again_and_rewrites_the_video()
    {
        var first = await PublishAndFinishAsync("ferry-timetable");
        Assert.Equal("completed", first.GetProperty("state").GetString());
        var video = first.GetProperty("video").GetString()!;
        var writtenAt = File.GetLastWriteTimeUtc(video);

        var retry = await _node.CliAsync("story", "retry", "ferry-timetable", "--from", "compose", "--json");
        Assert.True(retry.ExitCode == 0, retry.Stderr);
        Assert.Equal(("compose", true, 1), (retry.Json.GetProperty("fromStep").GetString(), retry.Json.GetProperty("retried").GetBoolean(),
            retry.Json.GetProperty("revision").GetInt32()));

        var story = await _node.WaitForAsync("ferry-timetable", s => NodeProcess.Finished(s) && Steps(s)["publish"].GetProperty("attempts").GetInt32() == 2,
            TimeSpan.FromMinutes(3));
        Assert.Equal("completed", story.GetProperty("state").GetString());
        var steps = Steps(story);
        Assert.Equal(1, steps["init"].GetProperty("timeline").GetArrayLength());
        Assert.Equal(1, steps["speech"].GetProperty("timeline").GetArrayLength());
        foreach (var step in new[] { "compose", "publish" })
        {
            var timeline = steps[step].GetProperty("timeline").EnumerateArray().ToList();
            Assert.Equal([1, 2], timeline.Select(a => a.GetProperty("attempt").GetInt32()));
            Assert.All(timeline, a => Assert.Equal("completed", a.GetProperty("outcome").GetString()));
        }
        Assert.True(File.GetLastWriteTimeUtc(video) > writtenAt, "the video was not written again");

        var human = await _node.CliAsync("story", "show", "ferry-timetable");
        Assert.True(human.ExitCode == 0, human.Stderr);
        Assert.True(human.Stdout.Contains("██████████"), human.Stdout); // each completed step's full progress bar
        var metrics = await Metrics(_node.Admin);
        Assert.Contains("niustv_story_retries_total{step=\"compose\",kind=\"operator\"} 1", metrics);
    }

    public static async Task<string> Metrics(string admin)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"http://{admin}/metrics");
    }

    [Fact]
    public async Task Metrics_show_a_duration_sample_for_every_step_and_the_stories_by_state()
    {
        var story = await PublishAndFinishAsync("ferry-metrics");
        var metrics = await Metrics(_node.Admin);
        foreach (var step in story.GetProperty("steps").EnumerateArray())
        {
            var backend = step.GetProperty("backend").GetString();
            Assert.Contains($"niustv_step_duration_seconds_count{{step=\"{step.GetProperty("name").GetString()}\",backend=\"{backend}\",outcome=\"completed\"}} 1", metrics);
        }
        Assert.Contains("niustv_stories{state=\"completed\"} 1", metrics);
        Assert.Contains("niustv_stories{state=\"failed\"} 0", metrics);
        Assert.Contains("# TYPE niustv_step_duration_seconds histogram", metrics);
        // GPU admission runs on every node (CPU render slots here): its queues are exported, empty now.
        Assert.Matches("niustv_gpu_queue_depth\\{slot=\"[^\"]+\"\\} 0", metrics);
        Assert.Matches("niustv_gpu_held\\{slot=\"[^\"]+\"\\} 0", metrics);
    }

    [Fact]
    public async Task Retry_from_an_unknown_step_names_the_steps_and_an_unknown_story_is_said_so()
    {
        await PublishAndFinishAsync("ferry-steps");
        var r = await _node.CliAsync("story", "retry", "ferry-steps", "--from", "paint");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("has no step 'paint'; its steps are: init, speech, phonemes, landmarks, render, compose, publish", r.Stderr);
        var unknown = await _node.CliAsync("story", "retry", "no-such-story");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no story 'no-such-story'", unknown.Stderr);
    }

    private async Task<JsonElement> JsonOf(params string[] args)
    {
        var r = await _node.CliAsync([.. args, "--json"]);
        Assert.True(r.ExitCode == 0, $"nius {string.Join(' ', args)}: {r.Stderr}\n{_node.Log}");
        return r.Json;
    }

    [Fact]
    public async Task Every_palette_answers_with_json_an_operator_can_script_against()
    {
        await PublishAndFinishAsync("ferry-palettes");
        await _node.ShowAsync("ferry-palettes"); // wakes the finished story's entity, so its shard has one entity

        var cluster = await JsonOf("cluster", "show");
        var self = cluster.GetProperty("self").GetString()!;
        Assert.StartsWith("akka.tcp://nius@", self);
        Assert.Equal(self, cluster.GetProperty("leader").GetString());
        var member = Assert.Single(cluster.GetProperty("members").EnumerateArray());
        Assert.Equal((self, "up", true), (member.GetProperty("address").GetString(), member.GetProperty("status").GetString(), member.GetProperty("reachable").GetBoolean()));
        Assert.Contains("worker", member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(cluster.GetProperty("unreachable").EnumerateArray());
        // The worker's free workspace disk, as it reported it (every second): what an operator watches as it fills.
        var free = member.GetProperty("freeDiskBytes").GetInt64();
        var actual = new DriveInfo(_node.Data).AvailableFreeSpace;
        Assert.InRange(free, actual / 2, actual * 2);
        var table = await _node.CliAsync("cluster", "show");
        Assert.Contains("free disk", table.Stdout);
        Assert.Contains("GiB", table.Stdout);

        var regions = Assert.Single((await JsonOf("cluster", "sharding", "regions")).EnumerateArray());
        Assert.Equal("story", regions.GetProperty("type").GetString());
        Assert.Equal([self], regions.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));

        var stats = Assert.Single((await JsonOf("cluster", "sharding", "region-stats", "-r", "story")).EnumerateArray());
        Assert.Equal(self, stats.GetProperty("region").GetString());
        Assert.True(stats.GetProperty("entities").GetInt32() >= 1, stats.ToString());
        Assert.Empty(stats.GetProperty("failed").EnumerateArray());

        var shards = await JsonOf("cluster", "sharding", "fetch-shards", "-r", "story");
        Assert.Equal(("story", self), (shards.GetProperty("type").GetString(), shards.GetProperty("region").GetString()));
        Assert.Contains(shards.GetProperty("shards").EnumerateArray(),
            s => s.GetProperty("entities").EnumerateArray().Any(e => e.GetString() == "ferry-palettes"));
        var unknownType = await _node.CliAsync("cluster", "sharding", "region-stats", "-r", "drawing");
        Assert.Equal(1, unknownType.ExitCode);
        Assert.Contains("no shard region of type 'drawing' on this node; types: story", unknownType.Stderr);

        var root = await JsonOf("actor", "hierarchy", "-d", "1");
        Assert.Equal("/", root.GetProperty("path").GetString());
        var top = root.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("user", top);
        Assert.Contains("system", top);
        Assert.All(root.GetProperty("children").EnumerateArray(), c => Assert.Empty(c.GetProperty("children").EnumerateArray()));
        var sharding = await JsonOf("actor", "hierarchy", "-s", "/system/sharding", "-d", "3");
        var story = Assert.Single(sharding.GetProperty("children").EnumerateArray(), c => c.GetProperty("name").GetString() == "story");
        Assert.Contains("/system/sharding/story/", story.ToString()); // the shards, and under them the entity
        Assert.Contains("ferry-palettes", story.ToString());
        var pools = await JsonOf("actor", "hierarchy", "-s", "/user/step-pools");
        Assert.Equal(["pool-compose", "pool-init", "pool-landmarks", "pool-phonemes", "pool-publish", "pool-render", "pool-speech"],
            pools.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        var log = (await JsonOf("log", "peek", "-n", "1000")).EnumerateArray().ToList();
        Assert.InRange(log.Count, 1, 1000);
        Assert.All(log, l => Assert.Equal(["at", "level", "category", "message"], l.EnumerateObject().Select(p => p.Name)));
        Assert.Contains(log, l => l.GetProperty("message").GetString()!.Contains("story ferry-palettes accepted as revision 1"));
        Assert.Equal(3, (await JsonOf("log", "peek", "-n", "3")).GetArrayLength());

        // The scaler singleton runs on this one node; without Gke:Project it only logs its decisions.
        var scaler = await JsonOf("scaler", "show");
        Assert.Equal("log only (no GKE project configured)", scaler.GetProperty("pool").GetString());
        Assert.Equal(0, scaler.GetProperty("target").GetInt32());
        Assert.Equal(JsonValueKind.Array, scaler.GetProperty("decisions").ValueKind);
        Assert.Contains("log only", (await _node.CliAsync("scaler", "show")).Stdout);

        // A node started without --pubsub has no ingest: the verb says how to get one instead of showing zeros.
        var ingest = await _node.CliAsync("ingest", "show", "--json");
        Assert.Equal(1, ingest.ExitCode);
        Assert.Contains("does not ingest from Pub/Sub (start it with --pubsub PROJECT)", ingest.Stderr);

        var downed = await JsonOf("cluster", "down-unreachable", "--yes");
        Assert.Equal("down-unreachable", downed.GetProperty("command").GetString());
        Assert.Empty(downed.GetProperty("addresses").EnumerateArray());
    }

    [Fact]
    public async Task Destructive_verbs_refuse_without_a_terminal_unless_told_yes()
    {
        await PublishAndFinishAsync("ferry-confirm");
        var self = (await JsonOf("cluster", "show")).GetProperty("self").GetString()!;
        var down = await _node.CliAsync("cluster", "down", self);
        Assert.Equal(2, down.ExitCode);
        Assert.Contains("down needs confirmation: pass --yes when not at a terminal", down.Stderr);
        var cancel = await _node.CliAsync("story", "cancel", "ferry-confirm");
        Assert.Equal(2, cancel.ExitCode);
        Assert.Contains("cancel needs confirmation", cancel.Stderr);
        Assert.Equal("up", (await JsonOf("cluster", "show")).GetProperty("members")[0].GetProperty("status").GetString());

        var stranger = await _node.CliAsync("cluster", "down", "10.9.9.9:4053", "--yes");
        Assert.Equal(1, stranger.ExitCode);
        Assert.Contains("'10.9.9.9:4053' is not a member of this cluster; members: " + self, stranger.Stderr);
    }

    [Fact]
    public async Task Cluster_leave_takes_the_node_out_and_it_shuts_down_as_a_prestop_hook_expects()
    {
        var left = await JsonOf("cluster", "leave", "--wait");
        Assert.Equal("leave", left.GetProperty("command").GetString());
        Assert.Single(left.GetProperty("addresses").EnumerateArray());
        // --wait returned: the node no longer answers, and its process ends.
        Assert.True(await _node.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the node kept running after it left:\n" + _node.Log);
    }

    [Fact]
    public async Task The_console_runs_each_input_line_as_a_command_and_keeps_going_after_an_error()
    {
        var script = string.Join('\n',
            "# an operator's script",
            "cluster show --json",
            "story show no-such-story",
            "scaler show",
            "stories --state \"completed\" --json",
            "console",
            "exit",
            "scaler show --json");
        var r = await Nius.RunAsync(["console", "--admin", _node.Admin], stdin: script);
        Assert.Contains("\"leader\"", r.Stdout);
        Assert.Contains("error: no story 'no-such-story'", r.Stderr);
        Assert.Contains("resizing log only", r.Stdout);
        Assert.Contains("[]", r.Stdout);
        Assert.Contains("error: already in the console", r.Stderr);
        Assert.DoesNotContain("\"decisions\"", r.Stdout); // nothing after exit ran
        Assert.Equal(2, r.ExitCode); // the last failing line's code
    }

    [Theory]
    [InlineData("clu", new[] { "cluster", "cluster-manager" })]
    [InlineData("cluster-m", new[] { "cluster-manager" })]
    [InlineData("cluster sh", new[] { "sharding", "show" })]
    [InlineData("cluster sharding re", new[] { "region-stats", "regions" })]
    [InlineData("story re", new[] { "retry" })]
    [InlineData("log peek --j", new[] { "--json" })]
    public void Tab_completes_verbs_and_options_from_the_command_tree(string typed, string[] expected)
    {
        Assert.Equal(expected, NiusTv.Host.Cli.ConsoleVerb.Complete(NiusTv.Host.Program.BuildRoot(), typed));
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
