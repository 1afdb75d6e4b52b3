using Akka.Actor;
using Akka.Event;

namespace NiusTv.Actors.Stories;

/// <summary>Enforces the workspace retention on one node: every <see cref="WorkspaceRetention.SweepEvery"/> it asks
/// each story that has a workspace here to clean what is past its time. The story decides and deletes (it alone
/// knows its state, and journals the removal), so the janitor wakes only stories that still hold disk. A story that
/// runs on another node now (its shard moved) answers so, and the janitor removes the folder it left here.</summary>
public sealed class WorkspaceJanitor : ReceiveActor, IWithTimers
{
    private sealed record Sweep;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly WorkspaceRetention _retention;

    public WorkspaceJanitor(string workspaceRoot, IActorRef stories, WorkspaceRetention retention)
    {
        _retention = retention;
        var log = Context.GetLogger();
        var node = StoryActor.NodeName(Context.System);
        Receive<Sweep>(_ =>
        {
            if (!Directory.Exists(workspaceRoot)) return;
            var ids = Directory.GetDirectories(workspaceRoot).Select(Path.GetFileName).OfType<string>()
                .Where(Steps.Stories.StoryParser.IsValidId).ToList();
            if (ids.Count > 0) log.Debug("workspace sweep: {0} stories hold a workspace", ids.Count);
            foreach (var id in ids) stories.Tell(new StoryCommands.CleanWorkspace(id, node));
        });
        Receive<StoryCommands.WorkspaceLivesElsewhere>(elsewhere =>
        {
            // Only a story id that names a folder directly under the root: the reply came over the wire.
            if (!Steps.Stories.StoryParser.IsValidId(elsewhere.StoryId)) return;
            var folder = Path.Combine(workspaceRoot, elsewhere.StoryId);
            // Safe even if the shard came back meanwhile: a story checks its results' checksums before it uses them,
            // and runs again from the first missing one.
            try
            {
                if (!Directory.Exists(folder)) return;
                Directory.Delete(folder, recursive: true);
                log.Info("workspace of story {0} removed: the story runs on {1} now", elsewhere.StoryId, elsewhere.Node);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("workspace of story {0} (now on {1}) could not be removed: {2}", elsewhere.StoryId, elsewhere.Node, e.Message);
            }
        });
    }

    protected override void PreStart()
    {
        // The first sweep soon after start: a node that was down for a day has catching up to do.
        Timers.StartSingleTimer("first", new Sweep(), TimeSpan.FromSeconds(Math.Min(30, _retention.SweepEvery.TotalSeconds)));
        Timers.StartPeriodicTimer("sweep", new Sweep(), _retention.SweepEvery);
    }

    public static Props Create(string workspaceRoot, IActorRef stories, WorkspaceRetention retention) =>
        Props.Create(() => new WorkspaceJanitor(workspaceRoot, stories, retention));
}
