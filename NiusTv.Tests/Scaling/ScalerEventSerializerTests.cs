using Akka.Actor;
using NiusTv.Actors.Scaling;
using Xunit;
using static NiusTv.Actors.Scaling.ScalerEvents;

namespace NiusTv.Tests.Scaling;

public sealed class ScalerEventSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("scaler-serializer");
    public void Dispose() => _system.Dispose();

    [Fact]
    public void Every_event_round_trips_under_a_versioned_manifest()
    {
        var serializer = new ScalerEventSerializer((ExtendedActorSystem)_system);
        var at = new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
        IScalerEvent[] events =
        [
            new Decided(at, ScalingAction.Up, 0, 2, 3, 0, 0, "3 waiting, 0 in flight: 3 stories at 2 per node need 2 nodes", at),
            new Applied(at, 2, "GKE node pool projects/p/locations/l/clusters/c/nodePools/gpu"),
            new ApplyFailed(at, 2, 1, "GKE resize failed (503): unavailable"),
        ];
        foreach (var e in events)
        {
            var manifest = serializer.Manifest(e);
            Assert.Matches(@"^scaler\.[a-z-]+\.v1$", manifest);
            Assert.Equal(e, serializer.FromBinary(serializer.ToBinary(e), manifest));
        }
        Assert.Contains("newer NiusTv", Assert.ThrowsAny<Exception>(() => serializer.FromBinary([], "scaler.decided.v9")).Message);
    }
}
