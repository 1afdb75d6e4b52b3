using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps.Cloud;
using NiusTv.Tests.Ingest;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>Real `nius node --pubsub` processes against the real Pub/Sub emulator, fed by `nius publish --pubsub`.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class PubSubEndToEndTests(PubSubEmulator emulator, ITestOutputHelper output) : IClassFixture<PubSubEmulator>, IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-pubsub-e2e-").FullName;

    private Dictionary<string, string> Env(params (string, string)[] more)
    {
        var env = new Dictionary<string, string> { [PubSubRestClient.EmulatorVariable] = emulator.HostPort };
        foreach (var (k, v) in more) env[k] = v;
        return env;
    }

    private string StoryFile(string id, string sentence = "A short sentence.")
    {
        var file = Path.Combine(_dir, "stories", $"{id}-{Math.Abs(sentence.GetHashCode())}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, IngestActorTests.StoryJson(id, sentence));
        return file;
    }

    private async Task Publish(string project, params string[] files)
    {
        var r = await Nius.RunAsync(["publish", "--pubsub", project, .. files], environment: Env());
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    private static async Task<JsonElement> WaitForIngest(NodeProcess node, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var r = await node.CliAsync("ingest", "show", "--json");
            if (r.ExitCode == 0 && until(r.Json)) return r.Json;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"ingest: {r.Stdout}{r.Stderr}\n{node.Log}");
            await Task.Delay(200);
        }
    }

    private static long Count(JsonElement stats, string name) => stats.GetProperty(name).GetInt64();

    [Fact]
    public async Task Twenty_messages_become_thirteen_videos_and_four_dead_letters_with_status_in_order()
    {
        const string project = "e2e-twenty";
        using var pubsub = emulator.Client(project);
        var ct = new CancellationTokenSource(TimeSpan.FromMinutes(8)).Token;
        await pubsub.EnsureTopicAsync(PubSubNames.StatusTopic, ct);
        await pubsub.EnsureSubscriptionAsync("editors", PubSubNames.StatusTopic, 60, ct, ordered: true);

        var originals = Enumerable.Range(1, 12).Select(i => StoryFile($"e2e-{i:00}")).ToArray();
        var invalid = Path.Combine(_dir, "invalid.json");
        File.WriteAllText(invalid, "{\"id\": \"UPPER\"}");
        var refused = await Nius.RunAsync(["publish", "--pubsub", project, invalid], environment: Env());
        Assert.Equal(1, refused.ExitCode); // the editors' path validates locally and sends nothing

        await using var node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), _dir, null, null, Env(), "--pubsub", project);
        var clock = Stopwatch.StartNew();
        await Publish(project, originals);
        var published = clock.Elapsed;
        await WaitForIngest(node, s => Count(s, "accepted") == 12, TimeSpan.FromMinutes(1));
        var accepted = clock.Elapsed;
        output.WriteLine($"12 stories: publish took {published.TotalMilliseconds:0} ms, all accepted {accepted.TotalMilliseconds:0} ms after the publish began " +
                         $"({12 / accepted.TotalSeconds:0.0} stories/s end to end)");
        var latencies = System.Text.RegularExpressions.Regex.Matches(node.Log, @"revision 1, (\d+) ms after pull, (\d+) ms after publish")
            .Select(m => (Pull: int.Parse(m.Groups[1].Value), Publish: int.Parse(m.Groups[2].Value))).ToList();
        output.WriteLine($"publish to accepted (persisted): median {latencies.Select(l => l.Publish).Order().ElementAt(latencies.Count / 2)} ms, " +
                         $"max {latencies.Max(l => l.Publish)} ms; pull to accepted: median {latencies.Select(l => l.Pull).Order().ElementAt(latencies.Count / 2)} ms");
        await node.WaitForAsync("e2e-04", NodeProcess.Finished, TimeSpan.FromMinutes(4));

        // Then 3 exact duplicates, 1 new revision and 4 invalid messages (sent around the CLI, which would refuse them).
        await Publish(project, originals[0], originals[1], originals[2], StoryFile("e2e-04", "A changed sentence."));
        await pubsub.PublishAsync(PubSubNames.StoriesTopic,
        [
            new OutgoingMessage("not json at all", new Dictionary<string, string> { ["schemaVersion"] = "1", ["storyId"] = "bad-1" }),
            new OutgoingMessage(IngestActorTests.StoryJson("Bad Id"), new Dictionary<string, string> { ["schemaVersion"] = "1", ["storyId"] = "bad-2" }),
            new OutgoingMessage("{\"id\":\"bad-3\",\"title\":\"t\",\"paragraphs\":[\"x\"],\"priority\":\"urgent\"}", new Dictionary<string, string> { ["storyId"] = "bad-3" }),
            new OutgoingMessage(IngestActorTests.StoryJson("bad-4"), new Dictionary<string, string> { ["schemaVersion"] = "2", ["storyId"] = "bad-4" }),
        ], ct);
        var stats = await WaitForIngest(node, s => Count(s, "received") == 20 && Count(s, "outstanding") == 0, TimeSpan.FromMinutes(1));
        Assert.Equal((13L, 1L, 3L, 4L), (Count(stats, "accepted"), Count(stats, "revisions"), Count(stats, "duplicates"), Count(stats, "rejected")));
        var metrics = await OperatorConsoleTests.Metrics(node.Admin);
        Assert.Contains("niustv_ingest_messages_total{outcome=\"accepted\"} 13", metrics);
        Assert.Contains("niustv_ingest_messages_total{outcome=\"rejected\"} 4", metrics);
        Assert.Contains("niustv_ingest_messages_total{outcome=\"duplicate\"} 3", metrics);
        Assert.Contains("niustv_ingest_outstanding 0", metrics);
        var reasons = stats.GetProperty("recentDeadLetters").EnumerateArray().ToDictionary(d => d.GetProperty("storyId").GetString()!, d => d.GetProperty("reason").GetString()!);
        Assert.Contains("not valid JSON", reasons["bad-1"]);
        Assert.StartsWith("id:", reasons["bad-2"]);
        Assert.StartsWith("priority:", reasons["bad-3"]);
        Assert.StartsWith("attributes.schemaVersion:", reasons["bad-4"]);
        var show = await node.CliAsync("ingest", "show");
        Assert.Contains("rejected 4", show.Stdout);

        foreach (var i in Enumerable.Range(1, 12))
        {
            var s = await node.WaitForAsync($"e2e-{i:00}", st => NodeProcess.Finished(st) && st.GetProperty("revision").GetInt32() == (i == 4 ? 2 : 1), TimeSpan.FromMinutes(4));
            Assert.True(s.GetProperty("state").GetString() == "completed", s.ToString());
        }

        var status = new List<ReceivedMessage>();
        while (status.Count(m => m.Attributes["event"] == "completed") < 13)
        {
            var got = await pubsub.PullAsync("editors", 100, ct);
            status.AddRange(got);
            await pubsub.AcknowledgeAsync("editors", got.Select(g => g.AckId).ToList(), ct);
        }
        var perRevision = status.GroupBy(m => (m.Attributes["storyId"], m.Attributes["revision"]))
            .ToDictionary(g => g.Key, g => g.Select(m => m.Attributes["event"]).ToList());
        Assert.Equal(13, perRevision.Count); // 13 videos: 12 stories, one of them twice
        foreach (var (key, events) in perRevision)
            Assert.True(events.SequenceEqual(["accepted", .. NiusTv.Host.Node.NodeSteps.Pipeline.StepNames.Select(_ => "step-completed"), "completed"]),
                $"{key}: {string.Join(", ", events)}");
    }

    [Fact]
    public async Task A_node_killed_between_pull_and_persist_leaves_the_story_to_be_processed_exactly_once()
    {
        const string project = "e2e-kill";
        var data = Path.Combine(_dir, "kill-data");
        var @out = Path.Combine(_dir, "kill-out");
        // Test hook: hold the pulled message 60 s before hand-over, so the kill lands between pull and persist.
        var slow = Env(("NIUSTV__Ingest__HandOverDelaySeconds", "60"), ("NIUSTV__Ingest__AckDeadlineSeconds", "10"));
        var admin = $"127.0.0.1:{LoopbackPorts.Free()}";
        await using (var node = await NodeProcess.StartConfiguredAsync(data, @out, _dir, admin, null, slow, "--pubsub", project))
        {
            await WaitForIngest(node, _ => true, TimeSpan.FromSeconds(30)); // the subscription exists (10 s deadline)
            await Publish(project, StoryFile("kill-me"));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!node.Log.Contains("pulled message", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Contains("for story kill-me", node.Log);
            node.Kill();
        }

        var clock = Stopwatch.StartNew();
        await using (var node = await NodeProcess.StartConfiguredAsync(data, @out, _dir, admin, null, Env(), "--pubsub", project))
        {
            Assert.Equal(1, (await node.CliAsync("story", "show", "kill-me", "--json")).ExitCode); // nothing was persisted
            // The redelivery comes once the 10 s deadline of the dead node's lease has passed.
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while ((await node.CliAsync("story", "show", "kill-me", "--json")).ExitCode != 0 && DateTime.UtcNow < deadline) await Task.Delay(300);
            var story = await node.WaitForAsync("kill-me", NodeProcess.Finished, TimeSpan.FromMinutes(3));
            output.WriteLine($"redelivered and completed {clock.Elapsed.TotalSeconds:0.0} s after the restart");
            Assert.Equal(("completed", 1), (story.GetProperty("state").GetString(), story.GetProperty("revision").GetInt32()));
            Assert.All(story.GetProperty("steps").EnumerateArray(), s => Assert.Equal(1, s.GetProperty("attempts").GetInt32()));
            await Task.Delay(TimeSpan.FromSeconds(12)); // past one more deadline: nothing comes again
            var stats = await WaitForIngest(node, _ => true, TimeSpan.FromSeconds(10));
            Assert.Equal((1L, 1L, 0L), (Count(stats, "received"), Count(stats, "accepted"), Count(stats, "duplicates")));
        }
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
