using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.DistributedData;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Actors.Admission;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Admission.GpuAdmissionProtocol;

namespace NiusTv.Tests.Admission;

/// <summary>What a slot tells the cluster (DistributedData), with a probe in the replicator's place and the slot's
/// clock in the test's hands.</summary>
public sealed class GpuSlotSharingTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("gpu-slot-sharing-tests", output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithRemoting("127.0.0.1", 0).WithClustering();

    /// <summary>The slot's reply to a question asked now: had the slot sent the replicator anything before it, the
    /// probe (which is the replicator too) would get that first.</summary>
    private static void NothingSharedSince(Akka.TestKit.TestProbe replicator, IActorRef gpu)
    {
        replicator.Send(gpu, new GetSlots());
        replicator.ExpectMsg<GpuSlotReport>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_slot_refreshes_the_shared_view_every_second_only_while_requests_wait()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var replicator = CreateTestProbe();
        var gpu = Sys.ActorOf(GpuAdmission.Create("gpu-0", TimeSpan.FromMinutes(10), replicator.Ref, clock));
        replicator.ExpectMsg<Update>(TimeSpan.FromSeconds(3)); // as it starts
        clock.Advance(TimeSpan.FromSeconds(5));
        NothingSharedSince(replicator, gpu); // idle: nothing changes, nothing is sent

        var holder = CreateTestProbe();
        holder.Send(gpu, new Acquire("a", StoryPriority.Normal));
        holder.ExpectMsg<Granted>(TimeSpan.FromSeconds(3));
        replicator.ExpectMsg<Update>(TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(5));
        NothingSharedSince(replicator, gpu); // held, nobody waiting: still nothing that grows

        var waiter = CreateTestProbe();
        waiter.Send(gpu, new Acquire("b", StoryPriority.Normal));
        replicator.ExpectMsg<Update>(TimeSpan.FromSeconds(3));
        for (var second = 0; second < 3; second++)
        {
            clock.Advance(GpuAdmission.RefreshWhileWaiting); // the wait grows: the view is refreshed
            replicator.ExpectMsg<Update>(TimeSpan.FromSeconds(3));
        }

        holder.Send(gpu, new Release("a"));
        waiter.ExpectMsg<Granted>(TimeSpan.FromSeconds(3));
        replicator.ExpectMsg<Update>(TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(5));
        NothingSharedSince(replicator, gpu); // nobody waits any more: the refreshes stopped
    }
}
