using System.Text.RegularExpressions;

namespace NiusTv.Actors.Stories;

/// <summary>How long a node keeps a story's workspace (the WAV, landmarks, anchor.mkv… of each revision): a node's
/// local SSD would otherwise fill within days. The published video lives in the output store, not here; a story whose
/// workspace was removed is rebuilt from <c>init</c> by a retry.</summary>
/// <param name="KeepCompletedFor">after a revision completed (Workspace:KeepCompletedFor).</param>
/// <param name="KeepFailedFor">after a revision failed or was cancelled: longer, so an operator can retry it from the
/// step that failed (Workspace:KeepFailedFor).</param>
/// <param name="SweepEvery">how often the node looks for workspaces past their time (Workspace:SweepEvery).</param>
public sealed record WorkspaceRetention(TimeSpan KeepCompletedFor, TimeSpan KeepFailedFor, TimeSpan SweepEvery)
{
    public static readonly WorkspaceRetention Default = new(TimeSpan.FromHours(6), TimeSpan.FromDays(3), TimeSpan.FromMinutes(10));

    /// <param name="Remove">revision folders to delete.</param>
    /// <param name="CurrentRevision">true when the current revision's results go, which the story journals.</param>
    public sealed record Plan(IReadOnlyList<int> Remove, bool CurrentRevision, string? Reason)
    {
        public static readonly Plan Nothing = new([], false, null);
    }

    /// <summary>Pure: what to delete of <paramref name="onDisk"/> (revision numbers with a folder) for this state.
    /// Older revisions were abandoned when a newer one was accepted and go at once; the current one goes when its
    /// story has been finished long enough, never while it runs.</summary>
    public Plan Decide(StoryState state, IReadOnlyCollection<int> onDisk, DateTimeOffset now)
    {
        if (!state.IsKnown) return Plan.Nothing; // not ours to judge: the journal may not have been read yet
        var remove = onDisk.Where(r => r != state.Revision).Order().ToList();
        string? reason = null;
        var current = false;
        if (onDisk.Contains(state.Revision) && state.FinishedAt is { } finished && !state.IsActive)
        {
            var keep = state.Status == StoryStatus.Completed ? KeepCompletedFor : KeepFailedFor;
            if (now - finished >= keep)
            {
                remove.Add(state.Revision);
                current = true;
                reason = $"removed by the retention policy: {StoryView.StateName(state.Status)} {Describe(now - finished)} ago, kept for {Describe(keep)}";
            }
        }
        return remove.Count == 0 ? Plan.Nothing : new Plan(remove, current, reason);
    }

    private static string Describe(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{t.TotalDays:0.#} d" : t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0} min" : $"{t.TotalSeconds:0} s";

    private static readonly Regex RevisionFolder = new(@"^r(\d+)$", RegexOptions.CultureInvariant);

    /// <summary>The revision folders of a story's workspace (<c>&lt;root&gt;/&lt;id&gt;/r&lt;N&gt;</c>).</summary>
    public static IReadOnlyList<int> RevisionsOnDisk(string storyFolder) =>
        Directory.Exists(storyFolder)
            ? Directory.GetDirectories(storyFolder).Select(d => RevisionFolder.Match(Path.GetFileName(d)))
                .Where(m => m.Success && int.TryParse(m.Groups[1].Value, out _)).Select(m => int.Parse(m.Groups[1].Value)).ToList()
            : [];
}
