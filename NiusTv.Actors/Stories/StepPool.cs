using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using NiusTv.Steps;

namespace NiusTv.Actors.Stories;

/// <summary>Messages between a StoryActor and the step pools of its node.</summary>
public static class StepPoolProtocol
{
    public sealed record RunStep(string StoryId, int Revision, string Step, int Attempt, StepInput Input);

    public sealed record StepProgress(string StoryId, int Revision, string Step, int Attempt, double Fraction);

    public sealed record StepSucceeded(string StoryId, int Revision, string Step, int Attempt, string Backend,
        IReadOnlyList<ArtifactRecord> Artifacts, TimeSpan Elapsed);

    public sealed record StepFailed(string StoryId, int Revision, string Step, int Attempt, string Backend,
        string Reason, bool Transient, TimeSpan Elapsed);

    /// <summary>Stops any work of that story (cancelled, or superseded by a new revision).</summary>
    public sealed record CancelStory(string StoryId);

    public sealed record GetPoolState;

    public sealed record PoolState(string Step, string Backend, int Concurrency, int Running, int Queued);
}

/// <summary>Runs one step kind for the stories of this node, at most <c>concurrency</c> at a time, the rest
/// queued in arrival order. Not sharded: work stays on the node that owns the story's workspace.</summary>
public sealed class StepPool : ReceiveActor
{
    private sealed record Job(StepPoolProtocol.RunStep Run, IActorRef ReplyTo);
    private sealed record JobDone(Job Job, object Reply);

    private readonly IStoryStep _step;
    private readonly int _concurrency;
    private readonly Queue<Job> _queue = new();
    // Keyed by job, not story: a cancelled job may still be winding down when the same story (retried, or a new
    // revision) queues its next one here, and its completion must not free the newer job's slot.
    private readonly Dictionary<Job, CancellationTokenSource> _running = new(ReferenceEqualityComparer.Instance);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public StepPool(IStoryStep step, int concurrency)
    {
        _step = step;
        _concurrency = Math.Max(1, concurrency);

        Receive<StepPoolProtocol.RunStep>(run =>
        {
            _queue.Enqueue(new Job(run, Sender));
            Pump();
        });
        Receive<JobDone>(done =>
        {
            if (_running.Remove(done.Job, out var cts)) cts.Dispose();
            done.Job.ReplyTo.Tell(done.Reply);
            Pump();
        });
        Receive<StepPoolProtocol.CancelStory>(c =>
        {
            foreach (var (job, cts) in _running)
                if (job.Run.StoryId == c.StoryId) cts.Cancel();
            var kept = _queue.Where(j => j.Run.StoryId != c.StoryId).ToList();
            _queue.Clear();
            foreach (var j in kept) _queue.Enqueue(j);
        });
        Receive<StepPoolProtocol.GetPoolState>(_ =>
            Sender.Tell(new StepPoolProtocol.PoolState(_step.Name, _step.Backend, _concurrency, _running.Count, _queue.Count)));
    }

    public static Props Create(IStoryStep step, int concurrency) => Props.Create(() => new StepPool(step, concurrency));

    protected override void PostStop()
    {
        foreach (var cts in _running.Values) cts.Cancel();
    }

    private void Pump()
    {
        while (_running.Count < _concurrency && _queue.Count > 0)
        {
            var job = _queue.Dequeue();
            var cts = new CancellationTokenSource();
            _running[job] = cts;
            var self = Self;
            var progress = new ThrottledProgress(fraction => job.ReplyTo.Tell(
                new StepPoolProtocol.StepProgress(job.Run.StoryId, job.Run.Revision, job.Run.Step, job.Run.Attempt, fraction)));
            _ = Execute(job, progress, cts.Token).ContinueWith(t => self.Tell(new JobDone(job, t.Result)),
                TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private async Task<object> Execute(Job job, IProgress<double> progress, CancellationToken ct)
    {
        var run = job.Run;
        var clock = Stopwatch.StartNew();
        var backend = _step.Backend;
        try
        {
            Directory.CreateDirectory(run.Input.Workspace);
            var output = await Task.Run(() => _step.RunAsync(run.Input, progress, ct), ct);
            // The run's own answer, never the step's property: the step serves other stories concurrently.
            backend = output.Backend ?? backend;
            var artifacts = await Task.Run(() => Describe(run.Input.Workspace, output.Artifacts), ct);
            return new StepPoolProtocol.StepSucceeded(run.StoryId, run.Revision, run.Step, run.Attempt, backend, artifacts, clock.Elapsed);
        }
        catch (StepFailure f)
        {
            return new StepPoolProtocol.StepFailed(run.StoryId, run.Revision, run.Step, run.Attempt, f.Backend ?? backend, f.Message, f.Transient, clock.Elapsed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new StepPoolProtocol.StepFailed(run.StoryId, run.Revision, run.Step, run.Attempt, backend, "cancelled", false, clock.Elapsed);
        }
        catch (Exception e)
        {
            // An exception the step did not classify: most likely environmental (I/O, a tool), so worth a retry.
            _log.Warning(e, "step {0} of story {1} threw", run.Step, run.StoryId);
            return new StepPoolProtocol.StepFailed(run.StoryId, run.Revision, run.Step, run.Attempt, backend,
                $"{e.GetType().Name}: {e.Message}", true, clock.Elapsed);
        }
    }

    /// <summary>Checksums are taken here, when the file is written, so a resumed story can tell an intact result
    /// from a half-written or replaced one.</summary>
    public static IReadOnlyList<ArtifactRecord> Describe(string workspace, IReadOnlyDictionary<string, string> artifacts) =>
        artifacts.Select(kv =>
        {
            var record = new ArtifactRecord(kv.Key, kv.Value, "", 0);
            var file = record.IsInWorkspace ? Path.Combine(workspace, kv.Value) : kv.Value;
            if (!File.Exists(file))
            {
                if (record.IsInWorkspace) throw StepFailure.Retryable($"the step reported '{kv.Value}' but did not write it");
                return record;
            }
            using var stream = File.OpenRead(file);
            return record with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(stream)), Bytes = stream.Length };
        }).ToList();

    /// <summary>Verifies that the artifacts of a completed step are still in the workspace, unchanged.</summary>
    public static string? FindDamage(string workspace, IEnumerable<ArtifactRecord> artifacts)
    {
        if (!Directory.Exists(workspace)) return $"the workspace {workspace} is missing on this node";
        foreach (var a in artifacts.Where(a => a.IsInWorkspace))
        {
            var file = Path.Combine(workspace, a.Path);
            if (!File.Exists(file)) return $"{a.Path} is missing from the workspace";
            using var stream = File.OpenRead(file);
            if (stream.Length != a.Bytes || Convert.ToHexStringLower(SHA256.HashData(stream)) != a.Sha256)
                return $"{a.Path} no longer matches its checksum";
        }
        return null;
    }

    /// <summary>Steps may report progress per frame; the story actor needs a few updates a second at most.</summary>
    private sealed class ThrottledProgress(Action<double> send) : IProgress<double>
    {
        private long _lastTicks;
        public void Report(double value)
        {
            var now = Environment.TickCount64;
            if (value < 1 && now - Interlocked.Read(ref _lastTicks) < 200) return;
            Interlocked.Exchange(ref _lastTicks, now);
            send(Math.Clamp(value, 0, 1));
        }
    }
}
