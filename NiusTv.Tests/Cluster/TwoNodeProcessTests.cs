using NiusTv.Tests.EndToEnd;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.Cluster;

/// <summary>Two real `nius node` processes join through `--seed HOST:PORT` (system name implied) and share a
/// PostgreSQL journal, the way an operator starts a local cluster.</summary>
[Collection("cluster")]
[Trait("Speed", "Slow")]
public sealed class TwoNodeProcessTests(PostgresServer postgres) : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-two-").FullName;

    [Fact]
    public async Task A_second_node_joins_the_first_by_seed_and_each_sees_the_others_GPU_slot()
    {
        var journal = "postgres:" + await postgres.CreateDatabaseAsync();
        var seedPort = LoopbackPorts.Free();
        var assets = Path.Combine(Nius.RepoRoot, "samples");
        await using var first = await NodeProcess.StartAsync(Path.Combine(_dir, "a"), Path.Combine(_dir, "out"), assets, null,
            "--port", seedPort.ToString(), "--seed", $"127.0.0.1:{seedPort}", "--journal", journal);
        await using var second = await NodeProcess.StartAsync(Path.Combine(_dir, "b"), Path.Combine(_dir, "out"), assets, null,
            "--port", LoopbackPorts.Free().ToString(), "--seed", $"127.0.0.1:{seedPort}", "--journal", journal, "--roles", "worker");

        // The GPU slots travel through DistributedData, which only spans joined members: two slots means one cluster.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var shown = await first.CliAsync("gpu", "show", "--json");
            Assert.Equal(0, shown.ExitCode);
            var nodes = shown.Json.EnumerateArray().Select(s => s.GetProperty("node").GetString()).Distinct().Count();
            if (nodes == 2) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the first node sees {nodes} node(s):\n{shown.Stdout}\n{second.Log}");
            await Task.Delay(500);
        }
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
