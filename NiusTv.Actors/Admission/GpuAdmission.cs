using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;
using NiusTv.Steps.Stories;

namespace NiusTv.Actors.Admission;

public static class GpuAdmissionProtocol
{
    /// <summary>Ask for a whole GPU. The sender is the holder: if it dies, the grant passes on.</summary>
    public sealed record Acquire(string RequestId, StoryPriority Priority);

    public sealed record Granted(string RequestId, string Slot, TimeSpan Lease);

    public sealed record Release(string RequestId);

    /// <summary>Sent to a holder whose lease ran out: its grant is gone, it must stop using the GPU.</summary>
    public sealed record LeaseExpired(string RequestId, string Slot);

    public sealed record GetSlots;

    /// <summary>Put on the node's event stream at each grant, for the wait-time metric.</summary>
    public sealed record GrantNotice(string Slot, StoryPriority Priority, TimeSpan Waited);
}

/// <summary>What one slot tells the cluster about itself (DistributedData, shown by <c>nius gpu show</c>).</summary>
/// <param name="At">when the slot said it: at each change, and every second while requests wait.</param>
public sealed record GpuSlotReport(string Node, string Slot, string? Holder, string? HolderPriority, int Queued,
    double LongestWaitSeconds, DateTimeOffset At);

public static class GpuKeys
{
    public static readonly LWWDictionaryKey<string, GpuSlotReport> Slots = new("nius-gpu-slots");
}

/// <summary>Admission to one GPU (or, on a GPU-less node, one CPU slot group for the heavy render): one holder at a
/// time, granted by priority then arrival. Holders are watched, so a crashed render frees the GPU; a lease timer takes
/// the GPU back from a holder that overruns, so one stuck process cannot starve the queue. Leases run on the node's
/// <see cref="TimeProvider"/>, so a test can let ten minutes pass without waiting them.</summary>
public sealed class GpuAdmission : ReceiveActor
{
    private sealed record LeaseDue(string RequestId);
    private sealed record Publish;

    private readonly string _slot;
    private readonly TimeSpan _lease;
    private readonly IActorRef? _replicator;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ITimer> _leases = new();
    private readonly string _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private GpuQueue _queue = GpuQueue.Empty;
    private ITimer? _refresh;

    /// <param name="replicator">null to keep the state local (tests without a cluster).</param>
    public GpuAdmission(string slot, TimeSpan lease, IActorRef? replicator, TimeProvider? time = null)
    {
        _slot = slot;
        _lease = lease;
        _time = time ?? TimeProvider.System;
        _replicator = replicator;
        _node = replicator is null ? Context.System.Name : Cluster.Get(Context.System).SelfAddress.ToString();

        Receive<GpuAdmissionProtocol.Acquire>(a =>
        {
            Context.Watch(Sender);
            _queue = _queue.Enqueue(a.RequestId, a.Priority, Sender, _time.GetUtcNow());
            Changed();
        });
        Receive<GpuAdmissionProtocol.Release>(r =>
        {
            if (_queue.Holder?.RequestId == r.RequestId) EndLease(r.RequestId);
            var before = _queue;
            _queue = _queue.Remove(r.RequestId);
            Left(before);
            Changed();
        });
        Receive<LeaseDue>(d =>
        {
            EndLease(d.RequestId);
            if (_queue.Holder is not { } holder || holder.RequestId != d.RequestId) return;
            _log.Warning("GPU {0}: {1} overran its {2} lease; taking the GPU back", _slot, d.RequestId, _lease);
            holder.Holder.Tell(new GpuAdmissionProtocol.LeaseExpired(d.RequestId, _slot));
            var before = _queue;
            _queue = _queue.Remove(d.RequestId);
            Left(before);
            Changed();
        });
        Receive<Terminated>(t =>
        {
            if (_queue.Holder?.Holder.Equals(t.ActorRef) == true)
            {
                _log.Info("GPU {0}: holder {1} died; passing the grant on", _slot, _queue.Holder.RequestId);
                EndLease(_queue.Holder.RequestId);
            }
            var before = _queue;
            _queue = _queue.RemoveHolder(t.ActorRef);
            Left(before);
            Changed();
        });
        Receive<GpuAdmissionProtocol.GetSlots>(_ => Sender.Tell(Report()));
        Receive<Publish>(_ => Share());
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => { });
    }

    /// <summary>How often the shared view is refreshed while requests wait (their waits grow while nothing changes).</summary>
    public static readonly TimeSpan RefreshWhileWaiting = TimeSpan.FromSeconds(1);

    protected override void PreStart() => Share();

    /// <summary>Tells the node's router which requests left this slot, so it can send the next one where the queue is
    /// shortest.</summary>
    private void Left(GpuQueue before)
    {
        var ids = new[] { before.Holder }.Concat(before.Waiting).OfType<GpuRequest>().Select(r => r.RequestId)
            .Except(new[] { _queue.Holder }.Concat(_queue.Waiting).OfType<GpuRequest>().Select(r => r.RequestId));
        foreach (var id in ids) Context.Parent.Tell(new GpuAdmissions.SlotLeft(_slot, id));
    }

    private void Changed()
    {
        var (queue, granted) = _queue.GrantNext(_time.GetUtcNow());
        _queue = queue;
        if (granted is not null)
        {
            StartLease(granted.RequestId);
            granted.Holder.Tell(new GpuAdmissionProtocol.Granted(granted.RequestId, _slot, _lease));
            Context.System.EventStream.Publish(new GpuAdmissionProtocol.GrantNotice(_slot, granted.Priority, _time.GetUtcNow() - granted.At));
        }
        Share();
    }

    private void StartLease(string requestId)
    {
        var self = Self;
        _leases[requestId] = _time.CreateTimer(_ => self.Tell(new LeaseDue(requestId)), null, _lease, Timeout.InfiniteTimeSpan);
    }

    private void EndLease(string requestId)
    {
        if (_leases.Remove(requestId, out var timer)) timer.Dispose();
    }

    protected override void PostStop()
    {
        _refresh?.Dispose();
        foreach (var timer in _leases.Values) timer.Dispose();
        _leases.Clear();
    }

    private GpuSlotReport Report() => new(_node, _slot, _queue.Holder?.RequestId, _queue.Holder?.Priority.ToString().ToLowerInvariant(),
        _queue.Waiting.Count, _queue.LongestWait(_time.GetUtcNow()).TotalSeconds, _time.GetUtcNow());

    /// <summary>Tells the cluster this slot's state. Only while requests wait does the state change with nothing
    /// happening (their waits grow), so only then is it refreshed every <see cref="RefreshWhileWaiting"/>, on the
    /// node's <see cref="TimeProvider"/>; an idle slot wakes nothing.</summary>
    private void Share()
    {
        if (_replicator is null) return;
        if (_queue.Waiting.Count == 0)
        {
            _refresh?.Dispose();
            _refresh = null;
        }
        else if (_refresh is null)
        {
            var self = Self;
            _refresh = _time.CreateTimer(_ => self.Tell(new Publish()), null, RefreshWhileWaiting, RefreshWhileWaiting);
        }
        var report = Report();
        _replicator.Tell(Dsl.Update(GpuKeys.Slots, LWWDictionary<string, GpuSlotReport>.Empty, WriteLocal.Instance,
            map => map.SetItem(Cluster.Get(Context.System), $"{_node}/{_slot}", report)));
    }

    public static Props Create(string slot, TimeSpan lease, IActorRef? replicator, TimeProvider? time = null) =>
        Props.Create(() => new GpuAdmission(slot, lease, replicator, time));
}
