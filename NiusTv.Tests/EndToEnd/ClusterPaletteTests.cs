using System.Text.Json;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The cluster palette on two real node processes: what each node sees, and downing one from the other.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class ClusterPaletteTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-cluster-").FullName;

    private Task<NodeProcess> StartNode(string name, int port, params string[] extra)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        return NodeProcess.StartAsync(Path.Combine(_dir, name, "data"), Path.Combine(_dir, name, "out"), Path.Combine(_dir, "assets"), null,
            ["--port", port.ToString(), .. extra]);
    }

    private static async Task<JsonElement> Json(NodeProcess node, params string[] args)
    {
        var r = await node.CliAsync([.. args, "--json"]);
        Assert.True(r.ExitCode == 0, $"nius {string.Join(' ', args)}: {r.Stderr}");
        return r.Json;
    }

    private static async Task<JsonElement> WaitForMembers(NodeProcess node, Func<JsonElement, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var cluster = await Json(node, "cluster", "show");
            if (until(cluster)) return cluster;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(cluster.ToString());
            await Task.Delay(300);
        }
    }

    private static IEnumerable<(string Address, string Status)> Members(JsonElement cluster) =>
        cluster.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("address").GetString()!, m.GetProperty("status").GetString()!));

    [Fact]
    public async Task Every_node_shows_both_members_and_regions_and_one_can_down_the_other()
    {
        int p1 = LoopbackPorts.Free(), p2 = LoopbackPorts.Free();
        await using var first = await StartNode("n1", p1);
        await using var second = await StartNode("n2", p2, "--seed", $"127.0.0.1:{p1}");
        string a1 = $"akka.tcp://nius@127.0.0.1:{p1}", a2 = $"akka.tcp://nius@127.0.0.1:{p2}";

        foreach (var node in new[] { first, second })
        {
            var cluster = await WaitForMembers(node, c => Members(c).Count(m => m.Status == "up") == 2);
            Assert.Equal(new[] { (a1, "up"), (a2, "up") }.OrderBy(m => m.Item1, StringComparer.Ordinal), Members(cluster).OrderBy(m => m.Address, StringComparer.Ordinal));
            Assert.Equal(p1 < p2 ? a1 : a2, cluster.GetProperty("leader").GetString()); // the lowest address leads
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var regions = (await Json(second, "cluster", "sharding", "regions", "-r", "story"))[0].GetProperty("regions");
            if (regions.GetArrayLength() == 2)
            {
                Assert.Equal(new[] { a1, a2 }.Order(StringComparer.Ordinal), regions.EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, regions.ToString());
            await Task.Delay(300);
        }

        var downed = await Json(first, "cluster", "down", $"127.0.0.1:{p2}", "--yes");
        Assert.Equal([a2], downed.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));
        await WaitForMembers(first, c => Members(c).Select(m => m.Address).SequenceEqual([a1]));
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the downed node kept running:\n" + second.Log);
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
