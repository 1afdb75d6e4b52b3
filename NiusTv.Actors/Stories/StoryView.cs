using System.Text.Json.Serialization;
using NiusTv.Steps;

namespace NiusTv.Actors.Stories;

/// <summary>What `nius story show --json` prints (fields fixed by ARCHITECTURE.md; more may be added).</summary>
public sealed record StoryView(
    string Id,
    int Revision,
    string State,
    string? Title,
    string? Priority,
    string? Error,
    string? Video,
    string? Poster,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    IReadOnlyList<StepView> Steps,
    DateTimeOffset? ResultsCleanedAt = null,
    IReadOnlyList<RenditionView>? Renditions = null)
{
    /// <summary>Said plainly for people: the step results listed below were removed from the node's disk.</summary>
    public string? Workspace => ResultsCleanedAt is { } at
        ? $"cleaned at {at:yyyy-MM-dd HH:mm:ss}Z by the retention policy; the video stays published, and a retry rebuilds the results from init"
        : null;

    public static StoryView From(StoryState s, IReadOnlyDictionary<string, double>? progress = null) => new(
        s.Id, s.Revision, StateName(s.Status), s.Story?.Title,
        s.Story?.Priority.ToString().ToLowerInvariant(), s.Error, s.Video, s.Poster, s.AcceptedAt, s.FinishedAt,
        s.AcceptedAt is { } a && s.FinishedAt is { } f ? Math.Round((f - a).TotalSeconds, 3) : null,
        s.Steps.Select(r => StepView.From(r, progress?.GetValueOrDefault(r.Name))).ToList(), s.ResultsCleanedAt,
        s.Story is { HasRenditions: true } story ? story.Outputs.Select(r => RenditionView.From(s, r)).ToList() : null);

    public static string StateName(StoryStatus status) => status switch
    {
        StoryStatus.None => "unknown",
        _ => status.ToString().ToLowerInvariant(),
    };
}

public sealed record StepView(
    string Name,
    string State,
    int Attempts,
    string? Node,
    string? Backend,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    double? DurationSeconds,
    double Progress,
    IReadOnlyDictionary<string, string> Artifacts,
    IReadOnlyDictionary<string, string> Checksums,
    string? Error,
    DateTimeOffset? RetryAt,
    IReadOnlyList<StepAttempt> Timeline,
    string? Rendition = null)
{
    public static StepView From(StepRecord r, double? progress) => new(
        r.Name, r.Status.ToString().ToLowerInvariant(), r.Attempts, r.Node, r.Backend, r.StartedAt, r.CompletedAt,
        r.StartedAt is { } s && r.CompletedAt is { } c ? Math.Round((c - s).TotalSeconds, 3) : null,
        r.Status == StepStatus.Completed ? 1.0 : r.Status == StepStatus.Running ? progress ?? 0 : 0,
        r.Artifacts.ToDictionary(a => a.Name, a => a.Path),
        r.Artifacts.Where(a => a.Sha256 != "").ToDictionary(a => a.Name, a => "sha256:" + a.Sha256),
        r.LastError, r.RetryAt, r.History, StoryStepName.Rendition(r.Name));
}

/// <summary>One output of a story with renditions (<c>outputs</c>): its size, where publish put its video and poster,
/// and the names of its own steps in <see cref="StoryView.Steps"/>. A story with one output has none
/// (<see cref="StoryView.Renditions"/> is null) and shows its video in <see cref="StoryView.Video"/> as always; with
/// renditions, <see cref="StoryView.Video"/> and <see cref="StoryView.Poster"/> are the first rendition's.</summary>
public sealed record RenditionView(string Name, int Width, int Height, int Fps, string? Video, string? Poster, IReadOnlyList<string> Steps)
{
    public static RenditionView From(StoryState s, NiusTv.Steps.Stories.StoryRendition r) => new(r.Name, r.Output.Width, r.Output.Height,
        r.Output.Fps, s.PublishedOf(r.Name, Artifacts.Video), s.PublishedOf(r.Name, Artifacts.Poster),
        s.Steps.Where(x => StoryStepName.Rendition(x.Name) == r.Name).Select(x => x.Name).ToList());
}

/// <summary>One line of `nius stories`.</summary>
public sealed record StorySummary(string Id, int Revision, string State, string? Title, string? CurrentStep,
    DateTimeOffset? AcceptedAt, DateTimeOffset? FinishedAt, string? Video, string? Error)
{
    public static StorySummary From(StoryState s) => new(s.Id, s.Revision, StoryView.StateName(s.Status), s.Story?.Title,
        s.IsActive ? s.NextStep?.Name : null, s.AcceptedAt, s.FinishedAt, s.Video, s.Error);
}
