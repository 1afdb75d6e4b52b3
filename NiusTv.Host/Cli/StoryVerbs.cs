using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NiusTv.Actors.Ingest;
using NiusTv.Actors.Stories;
using NiusTv.Host.Admin;
using NiusTv.Steps.Stories;
using Spectre.Console;
using static NiusTv.Actors.Stories.StoryCommands;

namespace NiusTv.Host.Cli;

/// <summary>`nius publish`, `nius stories`, `nius story show|cancel`: editors' and operators' verbs over the
/// admin endpoint.</summary>
public static class StoryVerbs
{
    public static Command Publish()
    {
        var files = new Argument<string[]>("FILE") { Description = "story JSON files", Arity = ArgumentArity.OneOrMore };
        var pubsub = new Option<string?>("--pubsub") { Description = "publish to the stories topic of this Google Cloud project instead of a node (honours PUBSUB_EMULATOR_HOST)" };
        var cmd = new Command("publish", "submit stories to a node or to Pub/Sub (validated here first; nothing is sent if any file is invalid)")
            { files, pubsub, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var documents = new List<(string File, string Text, Story Story)>();
            var problems = new List<string>();
            foreach (var file in r.GetValue(files)!)
            {
                if (!File.Exists(file)) { problems.Add($"{file}: the file does not exist"); continue; }
                var text = await File.ReadAllTextAsync(file, ct);
                var parsed = StoryParser.Parse(text);
                if (parsed.IsValid) documents.Add((file, text, parsed.Story!));
                else problems.AddRange(parsed.Errors.Select(e => $"{file}: {e}"));
            }
            if (problems.Count > 0)
            {
                if (json) Console.WriteLine(JsonSerializer.Serialize(new { published = Array.Empty<object>(), errors = problems }, AdminJson.Pretty));
                else foreach (var p in problems) Console.Error.WriteLine("error: " + p);
                Console.Error.WriteLine("nothing was published.");
                return 1;
            }
            if (r.GetValue(pubsub) is { Length: > 0 } project)
                return await PublishToPubSub(project, documents.Select(d => (d.File, d.Text, d.Story)).ToList(), json, ct);
            using var client = CommonOptions.Client(r);
            var results = new List<JsonElement>();
            var failed = false;
            foreach (var (file, text, story) in documents)
            {
                var response = await client.PostAsync("api/stories", text, ct);
                if (!response.Ok)
                {
                    failed = true;
                    Console.Error.WriteLine($"error: {file}: {response.ErrorText}");
                    continue;
                }
                results.Add(response.Body);
                var accepted = response.As<PublishResult>();
                if (!json)
                    Console.WriteLine(accepted.IsNewRevision
                        ? $"accepted {story.Id} as revision {accepted.Revision}"
                        : $"unchanged {story.Id}: revision {accepted.Revision} already has this content");
            }
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { published = results, errors = Array.Empty<string>() }, AdminJson.Pretty));
            return failed ? 1 : 0;
        });
        return cmd;
    }

    /// <summary>The editors' path: the document as written (the node validates it again), with the schema version and
    /// story id as attributes so subscribers can route without parsing.</summary>
    private static async Task<int> PublishToPubSub(string project, IReadOnlyList<(string File, string Text, Story Story)> documents, bool json, CancellationToken ct)
    {
        using var client = Steps.Cloud.PubSubRestClient.Create(project);
        try
        {
            // Pub/Sub drops messages published to a topic that has no subscription yet: create both, so stories sent
            // before the first node starts wait for it.
            await client.EnsureTopicAsync(Steps.Cloud.PubSubNames.StoriesTopic, ct);
            await client.EnsureSubscriptionAsync(Steps.Cloud.PubSubNames.WorkersSubscription, Steps.Cloud.PubSubNames.StoriesTopic, 30, ct);
            var ids = await client.PublishAsync(Steps.Cloud.PubSubNames.StoriesTopic, documents.Select(d => new Steps.Cloud.OutgoingMessage(d.Text,
                new Dictionary<string, string> { ["schemaVersion"] = Steps.Stories.Story.SchemaVersion.ToString(), ["storyId"] = d.Story.Id })).ToList(), ct);
            var published = documents.Zip(ids, (d, id) => new { storyId = d.Story.Id, file = d.File, messageId = id }).ToList();
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { published, errors = Array.Empty<string>() }, AdminJson.Pretty));
            else foreach (var p in published) Console.WriteLine($"published {p.storyId} to projects/{project}/topics/stories (message {p.messageId})");
            return 0;
        }
        catch (Steps.Cloud.PubSubException e)
        {
            throw new CliException(e.Message);
        }
    }

    public static Command Ingest()
    {
        var ingest = new Command("ingest", "Pub/Sub ingest of the node: show");
        var show = new Command("show", "counts (received, accepted, duplicates, revisions, rejected, nacked) and the recent dead letters with reasons")
            { CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction((r, ct) => OperatorVerbs.CallAsync<IngestStats>(r, (HttpMethod.Get, "api/ingest"), b =>
        {
            Console.WriteLine($"subscription {b.Subscription}: {b.Outstanding} outstanding (at most {b.MaxOutstanding})");
            Console.WriteLine($"received {b.Received}, accepted {b.Accepted} (revisions {b.Revisions}), duplicates {b.Duplicates}, " +
                              $"rejected {b.Rejected}, nacked {b.Nacked}");
            if (b.RecentDeadLetters.Count == 0) return;
            var table = new Table().AddColumns("at", "message", "story", "reason");
            foreach (var d in b.RecentDeadLetters)
                table.AddRow(Markup.Escape(Iso(d.At)), Markup.Escape(d.MessageId), Markup.Escape(d.StoryId ?? ""), Markup.Escape(d.Reason));
            AnsiConsole.Write(table);
        }, ct));
        ingest.Add(show);
        return ingest;
    }

    public static Command Stories()
    {
        var state = new Option<string?>("--state") { Description = "only stories in this state (accepted, running, completed, failed, cancelled)" };
        state.AcceptOnlyFromAmong("accepted", "running", "completed", "failed", "cancelled");
        var since = new Option<DateTimeOffset?>("--since") { Description = "only stories accepted at or after this time (ISO 8601)" };
        var limit = new Option<int?>("--limit") { Description = "at most this many stories (one page); the next page's cursor is printed on stderr" };
        var cursor = new Option<string?>("--cursor") { Description = "continue after the page that printed this cursor" };
        var cmd = new Command("stories", "list the stories the cluster knows, newest first")
            { state, since, limit, cursor, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var query = new List<string>();
            if (r.GetValue(state) is { } s) query.Add("state=" + s);
            if (r.GetValue(since) is { } t) query.Add("since=" + Uri.EscapeDataString(t.ToString("O")));
            if (r.GetValue(limit) is { } n) query.Add("limit=" + n);
            if (r.GetValue(cursor) is { Length: > 0 } c) query.Add("cursor=" + Uri.EscapeDataString(c));
            var response = await client.GetAsync("api/stories" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            if (!response.Ok) throw new CliException(response.ErrorText);
            // On stderr, so --json output stays one JSON array on stdout.
            if (response.Header("X-Next-Cursor") is { Length: > 0 } next) Console.Error.WriteLine($"more: nius stories --cursor {next}");
            if (r.GetValue(CommonOptions.Json)) { OperatorVerbs.PrintJson(response.Body); return 0; }
            var table = new Table().AddColumns("id", "rev", "state", "step", "accepted", "video / error");
            foreach (var story in response.As<List<StorySummary>>())
                table.AddRow(Markup.Escape(story.Id), story.Revision.ToString(CultureInfo.InvariantCulture), StateMarkup(story.State),
                    Markup.Escape(story.CurrentStep ?? ""), Markup.Escape(Time(story.AcceptedAt)),
                    Markup.Escape(story.Video is { Length: > 0 } v ? v : story.Error ?? ""));
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    public static Command Story()
    {
        var story = new Command("story", "one story: show, cancel, retry");
        var id = new Argument<string>("ID") { Description = "story id" };
        var watch = new Option<bool>("--watch") { Description = "keep showing progress until the story ends" };
        var show = new Command("show", "state, revision, step timeline with attempts and durations, artifacts, error, video")
            { id, watch, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        show.SetAction(async (r, ct) =>
        {
            using var client = CommonOptions.Client(r);
            var storyId = r.GetValue(id)!;
            if (r.GetValue(CommonOptions.Json))
            {
                var response = await FetchResponse(client, storyId, ct);
                if (!response.Ok) throw new CliException(response.ErrorText);
                OperatorVerbs.PrintJson(response.Body);
                return 0;
            }
            if (!r.GetValue(watch))
            {
                AnsiConsole.Write(Render(await Fetch(client, storyId, ct)));
                return 0;
            }
            var current = await Fetch(client, storyId, ct);
            await AnsiConsole.Live(Render(current)).StartAsync(async live =>
            {
                while (!IsFinished(current))
                {
                    await Task.Delay(500, ct);
                    current = await Fetch(client, storyId, ct);
                    live.UpdateTarget(Render(current));
                }
            });
            return current.State == "completed" ? 0 : 1;
        });
        story.Add(show);

        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation" };
        var cancel = new Command("cancel", "stop a story; its running step is abandoned") { id, yes, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        cancel.SetAction(async (r, ct) =>
        {
            var storyId = r.GetValue(id)!;
            if (!Confirmation.Ask("cancel", $"Cancel story {storyId}?", r.GetValue(yes))) return 1;
            using var client = CommonOptions.Client(r);
            var response = await client.PostAsync($"api/stories/{Uri.EscapeDataString(storyId)}/cancel", null, ct);
            var result = response.OkAs<CancelResult>();
            if (r.GetValue(CommonOptions.Json)) OperatorVerbs.PrintJson(response.Body);
            else Console.WriteLine(result.Cancelled ? $"cancelled {storyId}" : $"{storyId} was not running (state: {result.State})");
            return 0;
        });
        story.Add(cancel);

        var from = new Option<string?>("--from") { Description = "the step to run again, with every step after it (default: the failed step, else the first)" };
        var retry = new Command("retry", "run a step and the steps after it again, reusing the earlier steps' results")
            { id, from, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        retry.SetAction(async (r, ct) =>
        {
            var storyId = r.GetValue(id)!;
            using var client = CommonOptions.Client(r);
            var query = r.GetValue(from) is { } step ? "?from=" + Uri.EscapeDataString(step) : "";
            var response = await client.PostAsync($"api/stories/{Uri.EscapeDataString(storyId)}/retry{query}", null, ct);
            var result = response.OkAs<RetryResult>();
            if (r.GetValue(CommonOptions.Json)) OperatorVerbs.PrintJson(response.Body);
            else Console.WriteLine($"retrying {storyId} revision {result.Revision} from {result.FromStep}");
            return 0;
        });
        story.Add(retry);
        return story;
    }

    private static Task<AdminClient.Response> FetchResponse(AdminClient client, string storyId, CancellationToken ct) =>
        client.GetAsync($"api/stories/{Uri.EscapeDataString(storyId)}", ct);

    /// <summary>The story as `GET /api/stories/ID` answers it; an unknown story is the CLI's one-line error.</summary>
    public static async Task<StoryView> Fetch(AdminClient client, string storyId, CancellationToken ct) =>
        (await FetchResponse(client, storyId, ct)).OkAs<StoryView>();

    public static bool IsFinished(StoryView story) => story.State is "completed" or "failed" or "cancelled";

    public static Spectre.Console.Rendering.IRenderable Render(StoryView s)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]story[/]", Markup.Escape($"{s.Id}  (revision {s.Revision})"));
        grid.AddRow("[bold]title[/]", Markup.Escape(s.Title ?? ""));
        grid.AddRow("[bold]state[/]", StateMarkup(s.State));
        if (s.Error is { Length: > 0 } error) grid.AddRow("[bold]error[/]", "[red]" + Markup.Escape(error) + "[/]");
        if (s.Video is { Length: > 0 } video) grid.AddRow("[bold]video[/]", Markup.Escape(video));
        foreach (var r in s.Renditions ?? [])
            grid.AddRow($"[bold]{Markup.Escape(r.Name)}[/]", Markup.Escape($"{r.Width}x{r.Height}@{r.Fps}  {r.Video ?? "(not published yet)"}"));
        if (s.DurationSeconds is { } d) grid.AddRow("[bold]took[/]", Number(d) + " s");

        var steps = new Table().AddColumn("step").AddColumn(new TableColumn("progress").NoWrap())
            .AddColumns("state", "attempts", "node", "backend", "duration", "artifacts");
        var timeline = new Table().AddColumns("step", "attempt", "node", "started", "ended", "outcome", "error");
        foreach (var step in s.Steps)
        {
            var stateText = step.State == "running" ? $"running {step.Progress:P0}" : step.State;
            if (step.RetryAt is { } retry) stateText += $" (retry at {retry.ToString("HH':'mm':'ss", CultureInfo.InvariantCulture)})";
            var artifacts = step.Artifacts.Keys.ToList();
            steps.AddRow(Markup.Escape(step.Name), Bar(step.Progress, step.State), StateMarkup(stateText), Number(step.Attempts), Markup.Escape(step.Node ?? ""),
                Markup.Escape(step.Backend ?? ""), step.DurationSeconds is { } ds ? Number(ds) + " s" : "",
                Markup.Escape(artifacts.Count > 4 ? string.Join(", ", artifacts.Take(3)) + $" +{artifacts.Count - 3}" : string.Join(", ", artifacts)));
            foreach (var a in step.Timeline)
                timeline.AddRow(Markup.Escape(step.Name), Number(a.Attempt), Markup.Escape(a.Node), Time(a.StartedAt),
                    Time(a.EndedAt), StateMarkup(a.Outcome), Markup.Escape(a.Error ?? ""));
        }
        return new Rows(grid, steps, new Markup("[bold]timeline[/]"), timeline);
    }

    /// <summary>A ten-cell bar: the step's progress at a glance in `story show --watch`.</summary>
    public static string Bar(double progress, string state)
    {
        var full = (int)Math.Round(Math.Clamp(progress, 0, 1) * 10);
        var color = state == "completed" ? "green" : state == "failed" ? "red" : "yellow";
        return $"[{color}]{new string('█', full)}[/][grey]{new string('░', 10 - full)}[/]";
    }

    /// <summary>A number as the node's JSON writes it.</summary>
    private static string Number(double n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>A time as the node's JSON writes it (ISO 8601 with the offset).</summary>
    public static string Iso(DateTimeOffset t) => t.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? t) => t?.ToLocalTime().ToString("HH:mm:ss.f") ?? "";

    public static string StateMarkup(string state) => state switch
    {
        _ when state.StartsWith("completed") => "[green]" + Markup.Escape(state) + "[/]",
        _ when state.StartsWith("failed") => "[red]" + Markup.Escape(state) + "[/]",
        _ when state.StartsWith("running") || state.StartsWith("retrying") => "[yellow]" + Markup.Escape(state) + "[/]",
        _ => Markup.Escape(state),
    };
}
