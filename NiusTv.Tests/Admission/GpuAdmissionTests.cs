using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Actors.Admission;
using NiusTv.Steps.Stories;
using Xunit;
using static NiusTv.Actors.Admission.GpuAdmissionProtocol;

namespace NiusTv.Tests.Admission;

public sealed class GpuAdmissionTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("gpu-admission-tests", output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) { }

    private IActorRef Slots(int count = 1, double leaseSeconds = 30) =>
        Sys.ActorOf(GpuAdmissions.Create(count, TimeSpan.FromSeconds(leaseSeconds), shareCluster: false));

    /// <summary>Who holds the one slot and how many wait, as the admission actor answers after every earlier message:
    /// a fact to assert instead of waiting a while for a grant that should not come.</summary>
    private static (string? Holder, int Queued) Slot(IActorRef gpu)
    {
        var report = gpu.Ask<List<GpuSlotReport>>(new GpuAdmissionProtocol.GetSlots(), TimeSpan.FromSeconds(3)).Result.Single();
        return (report.Holder, report.Queued);
    }

    /// <summary>A render-like holder: asks for the GPU, "renders" for a while once granted, records when, releases.</summary>
    private sealed class Render : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public Render(IActorRef gpu, string id, TimeSpan work, ConcurrentBag<(string Id, DateTime Start, DateTime End)> log)
        {
            var start = DateTime.MinValue;
            Receive<Granted>(_ =>
            {
                start = DateTime.UtcNow;
                Timers.StartSingleTimer("work", "done", work);
            });
            Receive<string>(_ =>
            {
                log.Add((id, start, DateTime.UtcNow));
                gpu.Tell(new Release(id));
            });
            gpu.Tell(new Acquire(id, StoryPriority.Normal));
        }
    }

    [Fact]
    public async Task With_one_GPU_slot_two_renders_never_overlap()
    {
        var gpu = Slots();
        var log = new ConcurrentBag<(string Id, DateTime Start, DateTime End)>();
        for (var i = 0; i < 4; i++)
            Sys.ActorOf(Props.Create(() => new Render(gpu, "render-" + i, TimeSpan.FromMilliseconds(150), log)));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (log.Count < 4 && DateTime.UtcNow < deadline) await Task.Delay(50);

        var runs = log.OrderBy(r => r.Start).ToList();
        Assert.Equal(4, runs.Count);
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].Start >= runs[i - 1].End, $"{runs[i].Id} started at {runs[i].Start:O}, before {runs[i - 1].Id} ended at {runs[i - 1].End:O}");
    }

    [Fact]
    public void A_breaking_request_queued_behind_three_normal_ones_is_granted_first()
    {
        var gpu = Slots();
        var grants = CreateTestProbe();
        Sys.EventStream.Subscribe(grants, typeof(GpuAdmissionProtocol.GrantNotice));
        var holder = CreateTestProbe();
        holder.Send(gpu, new Acquire("running", StoryPriority.Normal));
        holder.ExpectMsg<Granted>();
        Assert.Equal(StoryPriority.Normal, grants.ExpectMsg<GpuAdmissionProtocol.GrantNotice>().Priority);
        var normal = Enumerable.Range(1, 3).Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < 3; i++) normal[i].Send(gpu, new Acquire("normal-" + (i + 1), StoryPriority.Normal));
        var breaking = CreateTestProbe();
        breaking.Send(gpu, new Acquire("breaking", StoryPriority.Breaking));

        gpu.Tell(new Release("running"));
        Assert.Equal("breaking", breaking.ExpectMsg<Granted>().RequestId);
        // The wait-time metric's source: the breaking request waited for the holder, not for the normal ones.
        var notice = grants.ExpectMsg<GpuAdmissionProtocol.GrantNotice>();
        Assert.Equal(StoryPriority.Breaking, notice.Priority);
        Assert.True(notice.Waited >= TimeSpan.Zero);
        Assert.Equal(("breaking", 3), Slot(gpu));

        // Then the normal ones, in the order they came.
        gpu.Tell(new Release("breaking"));
        Assert.Equal("normal-1", normal[0].ExpectMsg<Granted>().RequestId);
        gpu.Tell(new Release("normal-1"));
        Assert.Equal("normal-2", normal[1].ExpectMsg<Granted>().RequestId);
        Assert.Equal(("normal-2", 1), Slot(gpu));
    }

    [Fact]
    public void A_holder_that_dies_loses_its_grant_to_the_next_in_line()
    {
        var gpu = Slots();
        var holder = CreateTestProbe();
        holder.Send(gpu, new Acquire("crashes", StoryPriority.Normal));
        holder.ExpectMsg<Granted>();
        var next = CreateTestProbe();
        next.Send(gpu, new Acquire("waits", StoryPriority.Normal));
        Assert.Equal(("crashes", 1), Slot(gpu));

        Sys.Stop(holder.Ref);
        Assert.Equal("waits", next.ExpectMsg<Granted>(TimeSpan.FromSeconds(3)).RequestId);
    }

    [Fact]
    public void A_holder_that_overruns_its_lease_is_told_and_the_GPU_passes_on()
    {
        var clock = new FakeTimeProvider();
        var lease = TimeSpan.FromMinutes(10);
        var gpu = Sys.ActorOf(GpuAdmissions.Create(1, lease, shareCluster: false, clock));
        var holder = CreateTestProbe();
        holder.Send(gpu, new Acquire("stuck", StoryPriority.Normal));
        holder.ExpectMsg<Granted>();
        var next = CreateTestProbe();
        next.Send(gpu, new Acquire("next", StoryPriority.Normal));

        clock.Advance(lease - TimeSpan.FromSeconds(1));
        Assert.Equal(("stuck", 1), Slot(gpu)); // a second before its end the lease still holds
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("stuck", holder.ExpectMsg<LeaseExpired>(TimeSpan.FromSeconds(3)).RequestId);
        Assert.Equal("next", next.ExpectMsg<Granted>(TimeSpan.FromSeconds(3)).RequestId);
    }

    [Fact]
    public void Two_GPUs_serve_two_holders_at_once()
    {
        var gpu = Slots(2);
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        a.Send(gpu, new Acquire("a", StoryPriority.Normal));
        b.Send(gpu, new Acquire("b", StoryPriority.Normal));
        var slots = new[] { a.ExpectMsg<Granted>().Slot, b.ExpectMsg<Granted>().Slot };
        Assert.Equal(["gpu-0", "gpu-1"], slots.Order());
    }
}
