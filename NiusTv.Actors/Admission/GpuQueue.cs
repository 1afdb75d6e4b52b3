using System.Collections.Immutable;
using Akka.Actor;
using NiusTv.Steps.Stories;

namespace NiusTv.Actors.Admission;

/// <summary>A request waiting for, or holding, one GPU slot.</summary>
/// <param name="Seq">arrival order at this slot: equal priorities are served first come, first served.</param>
public sealed record GpuRequest(string RequestId, StoryPriority Priority, IActorRef Holder, long Seq, DateTimeOffset At);

/// <summary>The holder of one GPU slot and the requests waiting for it, with pure transitions: the actor only watches
/// holders, keeps lease timers and replies.</summary>
public sealed record GpuQueue(GpuRequest? Holder, DateTimeOffset? GrantedAt, ImmutableList<GpuRequest> Waiting, long NextSeq)
{
    public static readonly GpuQueue Empty = new(null, null, ImmutableList<GpuRequest>.Empty, 0);

    public GpuQueue Enqueue(string requestId, StoryPriority priority, IActorRef holder, DateTimeOffset now)
    {
        var request = new GpuRequest(requestId, priority, holder, NextSeq, now);
        // Breaking news goes before every normal request, behind breaking ones that came earlier.
        var waiting = Waiting.Add(request).Sort((a, b) => b.Priority != a.Priority
            ? b.Priority.CompareTo(a.Priority) : a.Seq.CompareTo(b.Seq));
        return this with { Waiting = waiting, NextSeq = NextSeq + 1 };
    }

    /// <summary>Hands the slot to the head of the queue when it is free; the granted request, if any, is returned.</summary>
    public (GpuQueue Queue, GpuRequest? Granted) GrantNext(DateTimeOffset now)
    {
        if (Holder is not null || Waiting.IsEmpty) return (this, null);
        var next = Waiting[0];
        return (this with { Holder = next, GrantedAt = now, Waiting = Waiting.RemoveAt(0) }, next);
    }

    /// <summary>Frees the slot if <paramref name="requestId"/> holds it, or drops it from the queue if it waits.</summary>
    public GpuQueue Remove(string requestId) =>
        Holder?.RequestId == requestId ? this with { Holder = null, GrantedAt = null }
        : this with { Waiting = Waiting.RemoveAll(r => r.RequestId == requestId) };

    /// <summary>Everything a dead actor held or waited for.</summary>
    public GpuQueue RemoveHolder(IActorRef actor) =>
        (Holder?.Holder.Equals(actor) == true ? this with { Holder = null, GrantedAt = null } : this)
        with { Waiting = Waiting.RemoveAll(r => r.Holder.Equals(actor)) };

    public bool IsHeldBy(IActorRef actor) => Holder?.Holder.Equals(actor) == true || Waiting.Any(r => r.Holder.Equals(actor));

    public TimeSpan LongestWait(DateTimeOffset now) => Waiting.IsEmpty ? TimeSpan.Zero : now - Waiting.Min(r => r.At);
}
