using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.Singleton;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NiusTv.Actors.Scaling;
using Xunit;

namespace NiusTv.Tests.Scaling;

/// <summary>The scaler proxy on a node where no member can hold the scaler singleton: quiet, not a warning a period.</summary>
public sealed class ScalerProxyTests : IAsyncLifetime
{
    /// <summary>Puts what the event stream publishes where the test reads it.</summary>
    private sealed class Collector : ReceiveActor
    {
        public Collector(ConcurrentQueue<object> seen) => ReceiveAny(seen.Enqueue);
    }

    private IHost? _host;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) { await _host.StopAsync(TimeSpan.FromSeconds(10)); _host.Dispose(); }
    }

    [Fact]
    public async Task A_single_node_without_the_scaler_role_does_not_warn_that_it_cannot_find_the_scaler()
    {
        // Every proxy of this system, ours included unless it opts out, would warn each 100 ms it finds no singleton.
        const string fast = "akka.cluster.singleton-proxy { log-singleton-identification-failure = on\n" +
                            "singleton-identification-failure-period = 100ms }";
        _host = new HostBuilder().ConfigureServices(services => services.AddAkka("nius", akka => akka
            .AddHocon(fast, HoconAddMode.Prepend)
            .WithRemoting("127.0.0.1", 0)
            .WithClustering(new ClusterOptions { Roles = ["worker"] })
            .WithActors((system, _) => Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress))
            .AddScaler(hasScalerRole: false))).Build();
        await _host.StartAsync();
        var system = _host.Services.GetRequiredService<ActorSystem>();
        var up = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var seen = new ConcurrentQueue<object>();
        var collector = system.ActorOf(Props.Create(() => new Collector(seen)));
        system.EventStream.Subscribe(collector, typeof(Warning));
        system.EventStream.Subscribe(collector, typeof(ClusterSingletonProxy.IdentifySingletonResult));
        // A witness: a proxy for a singleton that exists nowhere, left to warn. Its third timeout comes two periods
        // after it started, by which time the scaler proxy, started earlier on the same scheduler, would have warned too.
        system.ActorOf(ClusterSingletonProxy.Props("/user/nowhere",
            ClusterSingletonProxySettings.Create(system).WithSingletonName("nowhere").WithRole("nowhere")), "witness");
        await Eventually.Until(() => Task.FromResult(seen.OfType<ClusterSingletonProxy.IdentifySingletonResult>()
            .Count(r => r.SingletonName == "nowhere" && r.Result == ClusterSingletonProxy.IdentifyResult.Timeout) >= 3), 10,
            "the witness proxy has timed out three times");

        var warnings = seen.OfType<Warning>().Select(w => w.Message.ToString() ?? "").ToList();
        Assert.Contains(warnings, w => w.Contains("named [nowhere]"));
        Assert.DoesNotContain(warnings, w => w.Contains("named [scaler]"));
        Assert.True(await ActorRegistry.For(system).GetAsync<ScalerActor>() is not null);
    }
}
