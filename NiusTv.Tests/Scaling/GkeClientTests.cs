using System.Text.Json.Nodes;
using NiusTv.Steps.Cloud;
using Xunit;

namespace NiusTv.Tests.Scaling;

public sealed class GkeClientTests : IAsyncLifetime
{
    internal static readonly GkeRetry Fast = new(4, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40),
        TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20));
    private static readonly GkeNodePoolRef Pool = new("demo", "europe-west4-a", "nius", "gpu");

    private FakeGkeServer _gke = null!;
    private GkeClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _gke = await FakeGkeServer.StartAsync();
        _client = GkeClient.Create(_gke.Endpoint, Fast);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gke.DisposeAsync();
    }

    internal static JsonObject Cluster(string name) => new()
    {
        ["name"] = name,
        ["nodePools"] = new JsonArray(new JsonObject { ["name"] = "gpu", ["initialNodeCount"] = 0 }),
    };

    [Fact]
    public async Task Create_waits_for_the_operation_and_a_repeat_is_harmless()
    {
        await _client.CreateClusterAsync("demo", "europe-west4-a", Cluster("nius"), CancellationToken.None);
        Assert.Equal("RUNNING", _gke.ClusterStatus(Pool.ClusterPath));
        await _client.CreateClusterAsync("demo", "europe-west4-a", Cluster("nius"), CancellationToken.None); // 409 → checked, fine
        Assert.Single(_gke.Creates);
    }

    [Fact]
    public async Task Delete_waits_for_the_operation_and_deleting_a_missing_cluster_succeeds()
    {
        await _client.CreateClusterAsync("demo", "europe-west4-a", Cluster("nius"), CancellationToken.None);
        await _client.DeleteClusterAsync("demo", "europe-west4-a", "nius", CancellationToken.None);
        Assert.False(_gke.HasCluster(Pool.ClusterPath));
        await _client.DeleteClusterAsync("demo", "europe-west4-a", "nius", CancellationToken.None);
    }

    [Fact]
    public async Task SetSize_resizes_the_pool_after_retrying_503_and_429()
    {
        await _client.CreateClusterAsync("demo", "europe-west4-a", Cluster("nius"), CancellationToken.None);
        _gke.FailNext(503, 429);
        await _client.SetNodePoolSizeAsync(Pool, 3, CancellationToken.None);
        Assert.Equal(3, _gke.PoolSize(Pool.ClusterPath, "gpu"));
    }

    [Fact]
    public async Task An_api_that_keeps_failing_is_reported_after_the_retries()
    {
        _gke.FailNext(503, 503, 503, 503, 503);
        var before = _gke.Requests;
        var e = await Assert.ThrowsAsync<GkeException>(() => _client.SetNodePoolSizeAsync(Pool, 1, CancellationToken.None));
        Assert.Equal(503, e.Status);
        Assert.Contains("injected fault", e.Message);
        Assert.Equal(Fast.Attempts, _gke.Requests - before);
    }

    [Fact]
    public async Task An_operation_that_ends_in_error_is_reported_with_its_message()
    {
        await _client.CreateClusterAsync("demo", "europe-west4-a", Cluster("nius"), CancellationToken.None);
        _gke.FailNextOperation = "Insufficient regional quota to satisfy request: resource \"NVIDIA_L4_GPUS\"";
        var e = await Assert.ThrowsAsync<GkeException>(() => _client.SetNodePoolSizeAsync(Pool, 2, CancellationToken.None));
        Assert.Contains("NVIDIA_L4_GPUS", e.Message);
    }

    [Fact]
    public async Task A_404_is_an_answer_not_a_fault_and_is_not_retried()
    {
        var before = _gke.Requests;
        Assert.Null(await _client.GetClusterAsync("demo", "europe-west4-a", "missing", CancellationToken.None));
        Assert.Equal(1, _gke.Requests - before);
    }
}
