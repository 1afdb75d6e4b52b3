using Akka.Actor;
using Akka.Hosting;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;

namespace NiusTv.Actors.Admission;

/// <summary>The steps' view of GPU admission (<see cref="IGpuAdmission"/>) over the node's <see cref="GpuAdmissions"/>
/// router. Each request gets its own small holder actor, so the admission actor's DeathWatch covers it: if the
/// holder stops (its process crashed, the system shuts down) the GPU passes on. A node's container builds the client
/// with its steps, before the actor system runs; it finds the router in the <see cref="ActorRegistry"/>, so requests
/// made before the router is registered wait for it.</summary>
public sealed class GpuAdmissionClient : IGpuAdmission
{
    private readonly Func<CancellationToken, Task<(ActorSystem System, IActorRef Admission)>> _admission;

    /// <param name="admission">a <see cref="GpuAdmissions"/> router or a single <see cref="GpuAdmission"/> slot.</param>
    public GpuAdmissionClient(ActorSystem system, IActorRef admission) =>
        _admission = _ => Task.FromResult((system, admission));

    /// <param name="system">asked for only once the router is registered, when the actor system is running.</param>
    public GpuAdmissionClient(ActorRegistry registry, Func<ActorSystem> system) =>
        _admission = async ct => (system(), await registry.GetAsync<GpuAdmissions>(ct));

    public async Task<IGpuGrant> AcquireAsync(string storyId, StoryPriority priority, CancellationToken ct)
    {
        var (system, admission) = await _admission(ct);
        var unique = Guid.NewGuid().ToString("N");
        var requestId = $"{storyId}/{unique}";
        var granted = new TaskCompletionSource<IGpuGrant>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = system.ActorOf(Props.Create(() => new GrantHolder(admission, requestId, priority, granted)),
            "gpu-grant-" + unique);
        // Giving up while queued leaves the queue at once, rather than waiting for a grant only to hand it back.
        await using (ct.Register(() => holder.Tell(GrantHolder.GiveUp.Instance)))
        {
            try { return await granted.Task; }
            catch (TaskCanceledException) { throw new OperationCanceledException(ct); }
        }
    }

    /// <summary>Holds one request: asks for the GPU, completes the caller's task on <c>Granted</c>, cancels
    /// <see cref="IGpuGrant.Revoked"/> on <c>LeaseExpired</c>, releases when the grant is disposed.</summary>
    private sealed class GrantHolder : ReceiveActor
    {
        public sealed record GiveUp
        {
            public static readonly GiveUp Instance = new();
        }

        public sealed record Dispose
        {
            public static readonly Dispose Instance = new();
        }

        private readonly IActorRef _admission;
        private readonly string _requestId;
        private readonly StoryPriority _priority;
        private readonly Action _stopped;
        private bool _released;

        public GrantHolder(IActorRef admission, string requestId, StoryPriority priority, TaskCompletionSource<IGpuGrant> granted)
        {
            _admission = admission;
            _requestId = requestId;
            _priority = priority;
            var revoked = new CancellationTokenSource();
            Grant? grant = null;

            Receive<GpuAdmissionProtocol.Granted>(g => g.RequestId == requestId, g =>
            {
                grant = new Grant(g.Slot, revoked.Token, Self);
                if (!granted.TrySetResult(grant)) Release();
            });
            Receive<GpuAdmissionProtocol.LeaseExpired>(e => e.RequestId == requestId, _ =>
            {
                // The admission actor already took the GPU back: nothing to release, the holder's work must stop.
                revoked.Cancel();
                Context.Stop(Self);
            });
            Receive<GiveUp>(_ =>
            {
                if (grant is not null) return;
                granted.TrySetCanceled();
                Release();
            });
            Receive<Dispose>(_ => Release());
            // Stopped from outside (the actor system shutting down): a waiter must not hang, a holder must stop.
            _stopped = () =>
            {
                if (grant is null) granted.TrySetException(new InvalidOperationException($"GPU admission stopped before {requestId} was granted"));
                else if (!_released) revoked.Cancel();
            };
        }

        protected override void PostStop() => _stopped();

        protected override void PreStart() => _admission.Tell(new GpuAdmissionProtocol.Acquire(_requestId, _priority));

        private void Release()
        {
            _released = true;
            _admission.Tell(new GpuAdmissionProtocol.Release(_requestId));
            Context.Stop(Self);
        }
    }

    private sealed class Grant(string slot, CancellationToken revoked, IActorRef holder) : IGpuGrant
    {
        private int _disposed;

        public string Slot => slot;

        public CancellationToken Revoked => revoked;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) holder.Tell(GrantHolder.Dispose.Instance);
            return ValueTask.CompletedTask;
        }
    }
}
