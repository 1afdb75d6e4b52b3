using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Time.Testing;
using NiusTv.Actors.Admission;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Admission;

/// <summary>The steps' IGpuAdmission over the real admission actors: grants are tasks, releases are disposals.</summary>
public sealed class GpuAdmissionClientTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit("gpu-admission-client-tests", output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) { }

    private (IActorRef Gpu, GpuAdmissionClient Client) Node(double leaseSeconds = 30, TimeProvider? clock = null)
    {
        var gpu = Sys.ActorOf(GpuAdmissions.Create(1, TimeSpan.FromSeconds(leaseSeconds), shareCluster: false, clock));
        return (gpu, new GpuAdmissionClient(Sys, gpu));
    }

    private static async Task<GpuSlotReport> Slot(IActorRef gpu) =>
        (await gpu.Ask<List<GpuSlotReport>>(new GpuAdmissionProtocol.GetSlots(), TimeSpan.FromSeconds(3))).Single();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_renders_contend_for_one_slot_and_the_second_waits_for_the_first_to_dispose()
    {
        var (gpu, client) = Node();
        var first = await client.AcquireAsync("first", StoryPriority.Normal, Ct);
        var second = client.AcquireAsync("second", StoryPriority.Normal, Ct);
        // Queued behind the holder, as the slot itself reports: then it cannot have been granted.
        await AwaitAssertAsync(async () => Assert.Equal(1, (await Slot(gpu)).Queued), TimeSpan.FromSeconds(3));
        Assert.False(second.IsCompleted);
        var slot = await Slot(gpu);
        Assert.StartsWith("first/", slot.Holder);
        Assert.Equal(1, slot.Queued);

        await first.DisposeAsync();
        await using var granted = await second.WaitAsync(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal("gpu-0", granted.Slot);
        Assert.StartsWith("second/", (await Slot(gpu)).Holder);
        // Disposing twice releases once.
        await first.DisposeAsync();
    }

    [Fact]
    public async Task A_breaking_story_goes_before_a_normal_one_that_waited_longer()
    {
        var (gpu, client) = Node();
        var holder = await client.AcquireAsync("running", StoryPriority.Normal, Ct);
        var normal = client.AcquireAsync("normal", StoryPriority.Normal, Ct);
        await AwaitAssertAsync(async () => Assert.Equal(1, (await Slot(gpu)).Queued), TimeSpan.FromSeconds(3));
        var breaking = client.AcquireAsync("breaking", StoryPriority.Breaking, Ct);
        await AwaitAssertAsync(async () => Assert.Equal(2, (await Slot(gpu)).Queued), TimeSpan.FromSeconds(3));

        await holder.DisposeAsync();
        var next = await breaking.WaitAsync(TimeSpan.FromSeconds(3), Ct);
        var slot = await Slot(gpu);
        Assert.Equal(1, slot.Queued); // the normal one still waits, behind the breaking holder
        Assert.StartsWith("breaking/", slot.Holder);
        Assert.False(normal.IsCompleted);
        await next.DisposeAsync();
        await using var last = await normal.WaitAsync(TimeSpan.FromSeconds(3), Ct);
    }

    [Fact]
    public async Task Lease_expiry_cancels_Revoked_and_the_GPU_passes_on()
    {
        var clock = new FakeTimeProvider();
        var (_, client) = Node(leaseSeconds: 600, clock);
        var stuck = await client.AcquireAsync("stuck", StoryPriority.Normal, Ct);
        Assert.False(stuck.Revoked.IsCancellationRequested);
        var next = client.AcquireAsync("next", StoryPriority.Normal, Ct);
        clock.Advance(TimeSpan.FromSeconds(600));

        await Task.Delay(Timeout.Infinite, stuck.Revoked).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(3), Ct);
        Assert.True(stuck.Revoked.IsCancellationRequested);
        await using var granted = await next.WaitAsync(TimeSpan.FromSeconds(3), Ct);
        Assert.False(granted.Revoked.IsCancellationRequested);
        // The late disposal of the revoked grant must not release the next holder's GPU.
        await stuck.DisposeAsync();
    }

    [Fact]
    public async Task Giving_up_while_queued_leaves_the_queue()
    {
        var (gpu, client) = Node();
        await using var holder = await client.AcquireAsync("running", StoryPriority.Normal, Ct);
        using var cts = new CancellationTokenSource();
        var waiting = client.AcquireAsync("impatient", StoryPriority.Normal, cts.Token);
        await AwaitAssertAsync(async () => Assert.Equal(1, (await Slot(gpu)).Queued), TimeSpan.FromSeconds(3));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await AwaitAssertAsync(async () => Assert.Equal(0, (await Slot(gpu)).Queued), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_client_built_before_the_router_is_registered_waits_until_it_is()
    {
        var registry = new ActorRegistry();
        var client = new GpuAdmissionClient(registry, () => Sys);
        var pending = client.AcquireAsync("early", StoryPriority.Normal, Ct);
        Assert.False(pending.IsCompleted); // nothing can grant it yet: there is no admission actor to ask
        registry.Register<GpuAdmissions>(Sys.ActorOf(GpuAdmissions.Create(1, TimeSpan.FromSeconds(30), shareCluster: false)));
        await using var grant = await pending.WaitAsync(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal("gpu-0", grant.Slot);
    }

    [Fact]
    public async Task When_the_actor_system_stops_a_holder_is_revoked_and_a_waiter_fails_instead_of_hanging()
    {
        var other = ActorSystem.Create("gpu-admission-client-shutdown");
        var client = new GpuAdmissionClient(other, other.ActorOf(GpuAdmissions.Create(1, TimeSpan.FromSeconds(30), shareCluster: false)));
        var holder = await client.AcquireAsync("holding", StoryPriority.Normal, Ct);
        var waiter = client.AcquireAsync("waiting", StoryPriority.Normal, Ct);
        await other.Terminate();
        await Assert.ThrowsAsync<InvalidOperationException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(3), Ct));
        Assert.True(holder.Revoked.IsCancellationRequested);
    }
}
