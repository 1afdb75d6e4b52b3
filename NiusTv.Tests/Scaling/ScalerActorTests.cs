using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Scaling;
using NiusTv.Actors.Stories;
using NiusTv.Steps.Cloud;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Tests.Scaling;

/// <summary>A backlog the test sets, standing in for the subscription count.</summary>
public sealed class SetBacklog : IBacklog
{
    public volatile int Waiting;
    public string Describe => "test backlog";
    public Task<int> WaitingAsync(CancellationToken ct) => Task.FromResult(Waiting);
}

/// <summary>The scaler singleton on a one-node cluster with a SQLite journal, driving the loopback fake GKE.</summary>
public sealed class ScalerActorTests : IAsyncLifetime
{
    private static readonly GkeNodePoolRef Pool = new("demo", "europe-west4-a", "nius", "gpu");
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-scaler-").FullName;
    private readonly SetBacklog _backlog = new();
    private FakeGkeServer _gke = null!;
    private GkeClient _client = null!;
    private IHost? _host;

    public async ValueTask InitializeAsync()
    {
        _gke = await FakeGkeServer.StartAsync();
        _client = GkeClient.Create(_gke.Endpoint, GkeClientTests.Fast);
        await _client.CreateClusterAsync(Pool.Project, Pool.Location, GkeClientTests.Cluster(Pool.Cluster), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) { await _host.StopAsync(TimeSpan.FromSeconds(10)); _host.Dispose(); }
        _client.Dispose();
        await _gke.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <param name="clock">what cooldowns and the idle period pass on; the tests move it instead of waiting.</param>
    private async Task<IActorRef> StartScaler(ScalingSettings settings, TimeProvider? clock = null)
    {
        _host = new HostBuilder().ConfigureServices(services => services.AddAkka("nius", akka => akka
            .WithRemoting("127.0.0.1", 0)
            .WithClustering(new ClusterOptions { Roles = ["worker", ScalerActor.Role] })
            .AddStoryPersistence(JournalKind.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}")
            .WithActors((system, _) => Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress))
            .AddScaler(true, settings, new GkeNodePool(_client, Pool), _backlog, TimeSpan.FromHours(1), clock))).Build();
        await _host.StartAsync();
        return await ActorRegistry.For(_host.Services.GetRequiredService<ActorSystem>()).GetAsync<ScalerActor>();
    }

    /// <summary>Asks for a decision until the view satisfies <paramref name="done"/>.</summary>
    private static async Task<ScalerProtocol.ScalingView> Until(IActorRef scaler, Func<ScalerProtocol.ScalingView, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            scaler.Tell(new ScalerProtocol.DecideNow());
            await Task.Delay(100);
            var view = await scaler.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), TimeSpan.FromSeconds(10));
            if (done(view)) return view;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}; scaler says: {view.Now}");
        }
    }

    private static readonly ScalingSettings Quick = new(StoriesPerNode: 2, Min: 0, Max: 4, UpCooldown: TimeSpan.FromHours(1),
        DownCooldown: TimeSpan.Zero, DownHeadroom: 1, IdleBeforeZero: TimeSpan.FromHours(1));

    [Fact]
    public async Task Waiting_stories_scale_the_pool_up_and_a_second_burst_within_the_cooldown_does_not()
    {
        var clock = new FakeTimeProvider();
        var scaler = await StartScaler(Quick, clock);
        _backlog.Waiting = 3;
        var view = await Until(scaler, v => v.Decisions.OfType<Applied>().Any(), "the scale-up is applied");
        Assert.Equal(2, view.Target);
        Assert.Equal([(Pool.Path, 2)], _gke.Resizes.ToArray());
        Assert.Equal(2, _gke.PoolSize(Pool.ClusterPath, "gpu"));
        var decided = Assert.Single(view.Decisions.OfType<Decided>());
        Assert.Contains("3 waiting", decided.Reason);

        _backlog.Waiting = 7;
        view = await Until(scaler, v => v.Now?.Contains("up cooldown") == true, "the scaler holds for the cooldown");
        Assert.Equal(2, view.Target);
        Assert.Single(_gke.Resizes);

        // An hour later, on the scaler's clock, the cooldown is over and the burst gets its nodes.
        clock.Advance(Quick.UpCooldownOrDefault);
        view = await Until(scaler, v => v.Target == 4 && v.Decisions.LastOrDefault() is Applied, "the cooldown ends and the pool grows");
        Assert.Equal([(Pool.Path, 2), (Pool.Path, 4)], _gke.Resizes.ToArray());
    }

    [Fact]
    public async Task An_idle_pool_keeps_one_warm_node_then_goes_to_zero_after_the_idle_period()
    {
        var clock = new FakeTimeProvider();
        var idle = TimeSpan.FromMinutes(20);
        var scaler = await StartScaler(Quick with { UpCooldown = TimeSpan.Zero, IdleBeforeZero = idle }, clock);
        _backlog.Waiting = 4;
        await Until(scaler, v => v.Target == 2 && v.Decisions.LastOrDefault() is Applied, "two nodes are up");
        _backlog.Waiting = 0;
        await Until(scaler, v => v.Target == 1 && v.Decisions.LastOrDefault() is Applied, "one node is kept warm");
        clock.Advance(idle);
        var view = await Until(scaler, v => v.Target == 0 && v.Decisions.LastOrDefault() is Applied, "the pool is at zero");
        Assert.Equal([2, 1, 0], _gke.Resizes.Select(r => r.Nodes).ToArray());
        Assert.Contains("scale to zero", view.Decisions.OfType<Decided>().Last().Reason);
    }

    [Fact]
    public async Task A_failing_api_is_retried_then_the_failure_is_journaled_and_the_pool_taken_as_unchanged()
    {
        var scaler = await StartScaler(Quick);
        _gke.FailNext(503, 429); // retried within one call
        _backlog.Waiting = 5;
        await Until(scaler, v => v.Decisions.LastOrDefault() is Applied, "the resize is applied despite 503 and 429");
        Assert.Equal(3, _gke.PoolSize(Pool.ClusterPath, "gpu"));

        _gke.FailNext(Enumerable.Repeat(503, GkeClientTests.Fast.Attempts).ToArray());
        _backlog.Waiting = 0;
        // Down cooldown is zero, so the scale-down to one warm node is tried now; every attempt answers 503.
        var view = await Until(scaler, v => v.Decisions.LastOrDefault() is ApplyFailed, "the failure is journaled");
        var failed = (ApplyFailed)view.Decisions.Last();
        Assert.Contains("503", failed.Error);
        Assert.Equal(3, view.Target);
        Assert.Equal(3, _gke.PoolSize(Pool.ClusterPath, "gpu"));
    }
}
