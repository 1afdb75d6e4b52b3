using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using static NiusTv.Host.Cli.StoryVerbs;

namespace NiusTv.Host.Cli;

/// <summary>The Petabridge.Cmd-shaped palettes (STYLE.md): `cluster`, `cluster sharding`, `actor hierarchy`,
/// `log peek` and components without verbs of their own (`gpu show`, `ingest show` and `scaler show` are their features' own verbs). Each is one request to a node's admin endpoint, so every verb works
/// one-shot (a Kubernetes preStop hook runs `nius cluster leave --yes`) and prints JSON with --json.</summary>
public static class OperatorVerbs
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    /// <summary>A verb that calls <paramref name="path"/> and prints the answer, as JSON or through <paramref name="human"/>.</summary>
    private static Command Verb(string name, string description, Func<ParseResult, (HttpMethod Method, string Path)> request,
        Action<JsonElement> human, params Symbol[] symbols)
    {
        var cmd = new Command(name, description);
        foreach (var s in symbols)
            if (s is Option o) cmd.Add(o);
            else if (s is Argument a) cmd.Add(a);
        cmd.Add(CommonOptions.Admin);
        cmd.Add(CommonOptions.Token);
        cmd.Add(CommonOptions.Json);
        cmd.SetAction(async (r, ct) => await CallAsync(r, request(r), human, ct));
        return cmd;
    }

    public static async Task<int> CallAsync(ParseResult r, (HttpMethod Method, string Path) request, Action<JsonElement> human, CancellationToken ct)
    {
        using var client = CommonOptions.Client(r);
        var response = request.Method == HttpMethod.Post ? await client.PostAsync(request.Path, null, ct) : await client.GetAsync(request.Path, ct);
        if (!response.Ok) throw new CliException(response.ErrorText);
        if (r.GetValue(CommonOptions.Json)) Console.WriteLine(JsonSerializer.Serialize(response.Body, Pretty));
        else human(response.Body);
        return 0;
    }

    public static Command Cluster()
    {
        var cluster = new Command("cluster", "cluster membership and sharding: show, leave, down-unreachable, down, sharding");
        cluster.Add(Verb("show", "members with address, status, roles and reachability; the leader",
            _ => (HttpMethod.Get, "api/cluster"), PrintCluster));
        var wait = new Option<bool>("--wait") { Description = "return only when the node has left and stopped (at most --timeout)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds --wait waits (default 60)", DefaultValueFactory = _ => 60 };
        var leave = new Command("leave", "this node leaves the cluster gracefully (its shards move first), then stops; for preStop hooks")
            { wait, timeout, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        leave.SetAction(async (r, ct) =>
        {
            var code = await CallAsync(r, (HttpMethod.Post, "api/cluster/leave"), b => PrintAddresses("leaving", b), ct);
            if (!r.GetValue(wait)) return code;
            // A preStop hook must not return before the shards have moved: the node stops its admin endpoint
            // only after it left, so "no answer" is the sign it is done.
            var deadline = DateTime.UtcNow.AddSeconds(r.GetValue(timeout));
            using var client = new AdminClient(CommonOptions.AdminAddress(r), CommonOptions.AdminToken(r), TimeSpan.FromSeconds(2));
            while (DateTime.UtcNow < deadline)
            {
                try { await client.GetAsync("api/cluster", ct); }
                catch (AdminUnreachableException) { return 0; }
                await Task.Delay(250, ct);
            }
            throw new CliException($"the node at {client.Admin} still answers {r.GetValue(timeout)} s after it was asked to leave");
        });
        cluster.Add(leave);

        var yes = new Option<bool>("--yes") { Description = "do not ask for confirmation" };
        var downUnreachable = new Command("down-unreachable", "mark every unreachable member down (it is removed and never comes back)")
            { yes, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        downUnreachable.SetAction(async (r, ct) =>
            !Confirmation.Ask("down-unreachable", "Down every unreachable member?", r.GetValue(yes)) ? 1
            : await CallAsync(r, (HttpMethod.Post, "api/cluster/down-unreachable"), b => PrintAddresses("downed", b), ct));
        cluster.Add(downUnreachable);

        var address = new Argument<string>("ADDRESS") { Description = "member address (akka.tcp://nius@HOST:PORT or HOST:PORT)" };
        var down = new Command("down", "mark one member down (it is removed and never comes back)")
            { address, yes, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        down.SetAction(async (r, ct) =>
        {
            var a = r.GetValue(address)!;
            return !Confirmation.Ask("down", $"Down {a}?", r.GetValue(yes)) ? 1
                : await CallAsync(r, (HttpMethod.Post, "api/cluster/down?address=" + Uri.EscapeDataString(a)), b => PrintAddresses("downed", b), ct);
        });
        cluster.Add(down);
        cluster.Add(Sharding());
        return cluster;
    }

    private static Command Sharding()
    {
        var sharding = new Command("sharding", "shard regions: regions, region-stats, fetch-shards");
        Option<string> Type() => new("--region", "-r") { Description = "shard region type (this node has: story)", Required = true };
        var regionsType = new Option<string?>("--region", "-r") { Description = "only this shard region type" };
        sharding.Add(Verb("regions", "the shard regions of the cluster, per type",
            r => (HttpMethod.Get, "api/sharding/regions" + (r.GetValue(regionsType) is { } t ? "?type=" + Uri.EscapeDataString(t) : "")),
            PrintRegions, regionsType));
        var statsType = Type();
        sharding.Add(Verb("region-stats", "entities per shard in every region of a type",
            r => (HttpMethod.Get, $"api/sharding/{Uri.EscapeDataString(r.GetValue(statsType)!)}/stats"), PrintRegionStats, statsType));
        var shardsType = Type();
        sharding.Add(Verb("fetch-shards", "the shards this node's region hosts, with their entities",
            r => (HttpMethod.Get, $"api/sharding/{Uri.EscapeDataString(r.GetValue(shardsType)!)}/shards"), PrintShards, shardsType));
        return sharding;
    }

    public static Command Actor()
    {
        var actor = new Command("actor", "the node's actors: hierarchy");
        var depth = new Option<int?>("--depth", "-d") { Description = "levels below the start (default 4)" };
        var path = new Option<string?>("--start", "-s") { Description = "actor path to start at (default /, e.g. /system/sharding)" };
        actor.Add(Verb("hierarchy", "the actor tree of the node",
            r => (HttpMethod.Get, "api/actors?" + string.Join('&', new[]
            {
                r.GetValue(depth) is { } d ? "depth=" + d : null,
                r.GetValue(path) is { } p ? "path=" + Uri.EscapeDataString(p) : null,
            }.Where(q => q is not null))), PrintTree, depth, path));
        return actor;
    }

    public static Command Log()
    {
        var log = new Command("log", "the node's recent log lines: peek");
        var n = new Option<int?>("-n") { Description = "how many of the newest lines (default 50, at most 1000)" };
        log.Add(Verb("peek", "the newest log lines the node kept in memory",
            r => (HttpMethod.Get, "api/log" + (r.GetValue(n) is { } count ? "?n=" + count : "")), PrintLog, n));
        return log;
    }

    /// <summary>`nius NAME show` for a node component (ComponentRegistry on the node).</summary>
    public static Command Component(string name, string description)
    {
        var cmd = new Command(name, description);
        cmd.Add(Verb("show", $"the {name} component of the node", _ => (HttpMethod.Get, "api/components/" + name), b =>
        {
            Console.WriteLine(Str(b, "summary"));
            if (b.TryGetProperty("detail", out var d) && d.ValueKind != JsonValueKind.Null) Console.WriteLine(JsonSerializer.Serialize(d, Pretty));
        }));
        return cmd;
    }

    /// <summary>Palettes still answered by <see cref="Admin.ComponentRegistry"/>; the scaler has its own verb now.</summary>
    public static IEnumerable<Command> Components() => [];

    private static void PrintCluster(JsonElement b)
    {
        Console.WriteLine($"self {Str(b, "self")}   leader {Str(b, "leader")}");
        var table = new Table().AddColumns("address", "status", "roles", "reachable", "free disk");
        foreach (var m in b.GetProperty("members").EnumerateArray())
            table.AddRow(Markup.Escape(Str(m, "address")), Markup.Escape(Str(m, "status")),
                Markup.Escape(string.Join(",", m.GetProperty("roles").EnumerateArray().Select(x => x.GetString()))),
                m.GetProperty("reachable").GetBoolean() ? "yes" : "[red]no[/]",
                m.TryGetProperty("freeDiskBytes", out var free) && free.ValueKind == JsonValueKind.Number
                    ? $"{free.GetInt64() / (1024.0 * 1024 * 1024):0.0} GiB" : "-");
        AnsiConsole.Write(table);
    }

    private static void PrintAddresses(string verb, JsonElement b)
    {
        var addresses = b.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()).ToList();
        Console.WriteLine(addresses.Count == 0 ? $"{verb}: none" : $"{verb}: {string.Join(", ", addresses)}");
    }

    private static void PrintRegions(JsonElement b)
    {
        foreach (var t in b.EnumerateArray())
            foreach (var region in t.GetProperty("regions").EnumerateArray())
                Console.WriteLine($"{Str(t, "type")}  {region.GetString()}");
    }

    private static void PrintRegionStats(JsonElement b)
    {
        var table = new Table().AddColumns("region", "shard", "entities");
        foreach (var region in b.EnumerateArray())
        {
            foreach (var shard in region.GetProperty("shards").EnumerateObject())
                table.AddRow(Markup.Escape(Str(region, "region")), Markup.Escape(shard.Name), shard.Value.ToString());
            foreach (var failed in region.GetProperty("failed").EnumerateArray())
                table.AddRow(Markup.Escape(Str(region, "region")), Markup.Escape(failed.GetString() ?? ""), "[red]no answer[/]");
        }
        AnsiConsole.Write(table);
    }

    private static void PrintShards(JsonElement b)
    {
        var table = new Table().AddColumns("shard", "entities");
        foreach (var shard in b.GetProperty("shards").EnumerateArray())
            table.AddRow(Markup.Escape(Str(shard, "shardId")), Markup.Escape(string.Join(", ", shard.GetProperty("entities").EnumerateArray().Select(e => e.GetString()))));
        AnsiConsole.Write(table);
    }

    private static void PrintTree(JsonElement b)
    {
        var tree = new Tree(Markup.Escape(Str(b, "path")));
        void Add(IHasTreeNodes parent, JsonElement node)
        {
            foreach (var child in node.GetProperty("children").EnumerateArray()) Add(parent.AddNode(Markup.Escape(Str(child, "name"))), child);
        }
        Add(tree, b);
        AnsiConsole.Write(tree);
    }

    private static void PrintLog(JsonElement b)
    {
        foreach (var line in b.EnumerateArray())
            Console.WriteLine($"{(DateTimeOffset.TryParse(Str(line, "at"), out var t) ? t.ToLocalTime().ToString("HH:mm:ss.fff") : "")} " +
                              $"{Str(line, "level"),-11} {Str(line, "category")}: {Str(line, "message")}");
    }
}
