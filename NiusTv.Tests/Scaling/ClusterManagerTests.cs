using System.Text.Json.Nodes;
using NiusTv.Actors.Scaling;
using NiusTv.Host.Manager;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Steps.Cloud;
using Xunit;

namespace NiusTv.Tests.Scaling;

public sealed class ClusterManagerTests : IAsyncLifetime
{
    private const string ClusterPath = "projects/demo/locations/europe-west4-a/clusters/nius";
    private readonly SetBacklog _backlog = new();
    private readonly List<string> _log = [];
    private FakeGkeServer _gke = null!;
    private GkeClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _gke = await FakeGkeServer.StartAsync();
        _client = GkeClient.Create(_gke.Endpoint, GkeClientTests.Fast);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gke.DisposeAsync();
    }

    private static JsonObject Spec() => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "gke", "cluster.json")))!;

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NiusTv.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (NiusTv.Actors.sln) is not above " + AppContext.BaseDirectory);
    }

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-03T09:00:00Z"));

    private ClusterManager Manager(TimeSpan idle, Func<CancellationToken, Task<int?>>? inFlight = null) =>
        new(new ClusterManagerSettings("demo", "europe-west4-a", Spec(), idle, TimeSpan.FromMilliseconds(50)), _client, _backlog, inFlight, _log.Add, _time);

    [Fact]
    public async Task Creates_the_cluster_when_stories_wait_and_deletes_it_once_idle()
    {
        var manager = Manager(TimeSpan.FromMinutes(20));
        Assert.Equal(ClusterAction.Nothing, (await manager.StepAsync(CancellationToken.None)).Action);
        Assert.Empty(_gke.Creates);

        _backlog.Waiting = 2;
        Assert.Equal(ClusterAction.Create, (await manager.StepAsync(CancellationToken.None)).Action);
        Assert.Equal("RUNNING", _gke.ClusterStatus(ClusterPath));
        Assert.Equal(0, _gke.PoolSize(ClusterPath, "gpu")); // the scaler inside sizes the GPU pool, not the manager

        _backlog.Waiting = 0;
        Assert.Equal(ClusterAction.Nothing, (await manager.StepAsync(CancellationToken.None)).Action); // idle, not yet long enough
        _time.Advance(TimeSpan.FromMinutes(19));
        Assert.Equal(ClusterAction.Nothing, (await manager.StepAsync(CancellationToken.None)).Action);
        _time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(ClusterAction.Delete, (await manager.StepAsync(CancellationToken.None)).Action);
        Assert.False(_gke.HasCluster(ClusterPath));
        Assert.Equal((1, 1), (_gke.Creates.Count, _gke.Deletes.Count));
        Assert.Contains(_log, l => l.Contains("deleting the cluster"));
    }

    [Fact]
    public async Task Stories_in_flight_keep_the_cluster_and_an_unanswering_cluster_is_kept()
    {
        int? running = 1;
        var manager = Manager(TimeSpan.Zero, _ => Task.FromResult(running));
        _backlog.Waiting = 1;
        await manager.StepAsync(CancellationToken.None);
        _backlog.Waiting = 0;
        Assert.Equal(ClusterAction.Nothing, (await manager.StepAsync(CancellationToken.None)).Action);
        running = null;
        var unknown = await manager.StepAsync(CancellationToken.None);
        Assert.Equal(ClusterAction.Nothing, unknown.Action);
        Assert.Contains("did not say", unknown.Reason);
        running = 0;
        Assert.Equal(ClusterAction.Delete, (await manager.StepAsync(CancellationToken.None)).Action);
    }

    [Fact]
    public async Task A_failing_api_is_retried_and_a_persistent_failure_is_reported()
    {
        _backlog.Waiting = 1;
        _gke.FailNext(503, 429);
        Assert.Equal(ClusterAction.Create, (await Manager(TimeSpan.FromMinutes(5)).StepAsync(CancellationToken.None)).Action);
        Assert.True(_gke.HasCluster(ClusterPath));

        _backlog.Waiting = 0;
        _gke.FailNext(Enumerable.Repeat(503, GkeClientTests.Fast.Attempts).ToArray());
        var e = await Assert.ThrowsAsync<GkeException>(() => Manager(TimeSpan.Zero).StepAsync(CancellationToken.None));
        Assert.Equal(503, e.Status);
        Assert.True(_gke.HasCluster(ClusterPath));
    }

    [Fact]
    public async Task The_verb_reads_a_count_file_and_creates_the_cluster_once()
    {
        var count = Path.GetTempFileName();
        await File.WriteAllTextAsync(count, "3\n");
        var stdout = new StringWriter();
        var before = Console.Out;
        Console.SetOut(stdout);
        int code;
        try
        {
            code = await NiusTv.Host.Program.InvokeAsync(NiusTv.Host.Program.BuildRoot(),
                ["cluster-manager", "--project", "demo", "--cluster-spec", Path.Combine(RepoRoot(), "deploy", "gke", "cluster.json"),
                 "--backlog-file", count, "--gke-endpoint", _gke.Endpoint, "--once"]);
        }
        finally { Console.SetOut(before); File.Delete(count); }
        Assert.True(code == 0, stdout.ToString());
        Assert.Contains("3 waiting", stdout.ToString());
        Assert.Equal("RUNNING", _gke.ClusterStatus(ClusterPath));
    }
}
