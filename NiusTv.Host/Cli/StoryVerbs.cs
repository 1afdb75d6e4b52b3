using System.CommandLine;
using System.Text.Json;
using NiusTv.Steps.Stories;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius publish`, `nius stories`, `nius story show|cancel`: editors' and operators' verbs over the
/// admin endpoint.</summary>
public static class StoryVerbs
{
    public static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
                if (json) Console.WriteLine(JsonSerializer.Serialize(new { published = Array.Empty<object>(), errors = problems }, Pretty));
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
                if (!json)
                {
                    var rev = response.Body.GetProperty("revision").GetInt32();
                    Console.WriteLine(response.Body.GetProperty("isNewRevision").GetBoolean()
                        ? $"accepted {story.Id} as revision {rev}"
                        : $"unchanged {story.Id}: revision {rev} already has this content");
                }
            }
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { published = results, errors = Array.Empty<string>() }, Pretty));
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
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { published, errors = Array.Empty<string>() }, Pretty));
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
        show.SetAction((r, ct) => OperatorVerbs.CallAsync(r, (HttpMethod.Get, "api/ingest"), b =>
        {
            Console.WriteLine($"subscription {Str(b, "subscription")}: {Str(b, "outstanding")} outstanding (at most {Str(b, "maxOutstanding")})");
            Console.WriteLine($"received {Str(b, "received")}, accepted {Str(b, "accepted")} (revisions {Str(b, "revisions")}), duplicates {Str(b, "duplicates")}, " +
                              $"rejected {Str(b, "rejected")}, nacked {Str(b, "nacked")}");
            var letters = b.GetProperty("recentDeadLetters").EnumerateArray().ToList();
            if (letters.Count == 0) return;
            var table = new Table().AddColumns("at", "message", "story", "reason");
            foreach (var d in letters)
                table.AddRow(Markup.Escape(Str(d, "at")), Markup.Escape(Str(d, "messageId")), Markup.Escape(Str(d, "storyId")), Markup.Escape(Str(d, "reason")));
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
            if (r.GetValue(CommonOptions.Json)) { Console.WriteLine(JsonSerializer.Serialize(response.Body, Pretty)); return 0; }
            var table = new Table().AddColumns("id", "rev", "state", "step", "accepted", "video / error");
            foreach (var story in response.Body.EnumerateArray())
                table.AddRow(Markup.Escape(Str(story, "id")), Str(story, "revision"), StateMarkup(Str(story, "state")),
                    Markup.Escape(Str(story, "currentStep")), Markup.Escape(Time(story, "acceptedAt")),
                    Markup.Escape(Str(story, "video") is { Length: > 0 } v ? v : Str(story, "error")));
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
            if (!r.GetValue(watch) || r.GetValue(CommonOptions.Json))
            {
                var body = await Fetch(client, storyId, ct);
                if (r.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(body, Pretty));
                else AnsiConsole.Write(Render(body));
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
            return Str(current, "state") == "completed" ? 0 : 1;
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
            if (!response.Ok) throw new CliException(response.ErrorText);
            if (r.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(response.Body, Pretty));
            else Console.WriteLine(response.Body.GetProperty("cancelled").GetBoolean() ? $"cancelled {storyId}"
                : $"{storyId} was not running (state: {Str(response.Body, "state")})");
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
            if (!response.Ok) throw new CliException(response.ErrorText);
            if (r.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(response.Body, Pretty));
            else Console.WriteLine($"retrying {storyId} revision {Str(response.Body, "revision")} from {Str(response.Body, "fromStep")}");
            return 0;
        });
        story.Add(retry);
        return story;
    }

    public static async Task<JsonElement> Fetch(AdminClient client, string storyId, CancellationToken ct)
    {
        var response = await client.GetAsync($"api/stories/{Uri.EscapeDataString(storyId)}", ct);
        if (!response.Ok) throw new CliException(response.ErrorText);
        return response.Body;
    }

    public static bool IsFinished(JsonElement story) => Str(story, "state") is "completed" or "failed" or "cancelled";

    public static Spectre.Console.Rendering.IRenderable Render(JsonElement s)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]story[/]", Markup.Escape($"{Str(s, "id")}  (revision {Str(s, "revision")})"));
        grid.AddRow("[bold]title[/]", Markup.Escape(Str(s, "title")));
        grid.AddRow("[bold]state[/]", StateMarkup(Str(s, "state")));
        if (Str(s, "error") is { Length: > 0 } error) grid.AddRow("[bold]error[/]", "[red]" + Markup.Escape(error) + "[/]");
        if (Str(s, "video") is { Length: > 0 } video) grid.AddRow("[bold]video[/]", Markup.Escape(video));
        if (Str(s, "durationSeconds") is { Length: > 0 } d) grid.AddRow("[bold]took[/]", d + " s");

        var steps = new Table().AddColumn("step").AddColumn(new TableColumn("progress").NoWrap())
            .AddColumns("state", "attempts", "node", "backend", "duration", "artifacts");
        var timeline = new Table().AddColumns("step", "attempt", "node", "started", "ended", "outcome", "error");
        foreach (var step in s.GetProperty("steps").EnumerateArray())
        {
            var state = Str(step, "state");
            var progress = step.GetProperty("progress").GetDouble();
            var stateText = state == "running" ? $"running {progress:P0}" : state;
            if (Str(step, "retryAt") is { Length: > 0 } retry) stateText += $" (retry at {retry[11..19]})";
            var artifacts = step.GetProperty("artifacts").EnumerateObject().Select(a => a.Name).ToList();
            steps.AddRow(Markup.Escape(Str(step, "name")), Bar(progress, state), StateMarkup(stateText), Str(step, "attempts"), Markup.Escape(Str(step, "node")),
                Markup.Escape(Str(step, "backend")), Str(step, "durationSeconds") is { Length: > 0 } ds ? ds + " s" : "",
                Markup.Escape(artifacts.Count > 4 ? string.Join(", ", artifacts.Take(3)) + $" +{artifacts.Count - 3}" : string.Join(", ", artifacts)));
            foreach (var a in step.GetProperty("timeline").EnumerateArray())
                timeline.AddRow(Markup.Escape(Str(step, "name")), Str(a, "attempt"), Markup.Escape(Str(a, "node")), Time(a, "startedAt"),
                    Time(a, "endedAt"), StateMarkup(Str(a, "outcome")), Markup.Escape(Str(a, "error")));
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

    public static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() ?? "",
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => v.ToString(),
        } : "";

    private static string Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Str(e, name), out var t) ? t.ToLocalTime().ToString("HH:mm:ss.f") : "";

    public static string StateMarkup(string state) => state switch
    {
        _ when state.StartsWith("completed") => "[green]" + Markup.Escape(state) + "[/]",
        _ when state.StartsWith("failed") => "[red]" + Markup.Escape(state) + "[/]",
        _ when state.StartsWith("running") || state.StartsWith("retrying") => "[yellow]" + Markup.Escape(state) + "[/]",
        _ => Markup.Escape(state),
    };
}
