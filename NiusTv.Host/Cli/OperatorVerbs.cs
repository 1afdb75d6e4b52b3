using System.CommandLine;
using System.Text.Json;
using NiusTv.Host.Admin;
using Spectre.Console;
using static NiusTv.Host.Admin.OperatorApi;

namespace NiusTv.Host.Cli;

/// <summary>The Petabridge.Cmd-shaped palettes (STYLE.md): `cluster`, `cluster sharding`, `actor hierarchy`,
/// `log peek` and components without verbs of their own (`gpu show`, `ingest show` and `scaler show` are their features' own verbs). Each is one request to a node's admin endpoint, so every verb works
/// one-shot (a Kubernetes preStop hook runs `nius cluster leave --yes`) and prints JSON with --json.</summary>
public static class OperatorVerbs
{
    /// <summary>A verb that calls <paramref name="request"/> and prints the answer, as JSON or through <paramref name="human"/>.</summary>
    private static Command Verb<T>(string name, string description, Func<ParseResult, (HttpMethod Method, string Path)> request,
        Action<T> human, params Symbol[] symbols)
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

    /// <summary>One request; with --json the node's reply is printed as it came, otherwise it is read into the
    /// record <typeparamref name="T"/> the route answers with and shown by <paramref name="human"/>.</summary>
    public static async Task<int> CallAsync<T>(ParseResult r, (HttpMethod Method, string Path) request, Action<T> human, CancellationToken ct)
    {
        using var client = CommonOptions.Client(r);
        var response = request.Method == HttpMethod.Post ? await client.PostAsync(request.Path, null, ct) : await client.GetAsync(request.Path, ct);
        if (!response.Ok) throw new CliException(response.ErrorText);
        if (r.GetValue(CommonOptions.Json)) PrintJson(response.Body);
        else human(response.As<T>());
        return 0;
    }

    /// <summary>What `--json` prints: the node's reply, indented.</summary>
    public static void PrintJson(JsonElement body) => Console.WriteLine(JsonSerializer.Serialize(body, AdminJson.Pretty));

    public static Command Cluster()
    {
        var cluster = new Command("cluster", "cluster membership and sharding: show, leave, down-unreachable, down, sharding");
        cluster.Add(Verb<ClusterView>("show", "members with address, status, roles and reachability; the leader",
            _ => (HttpMethod.Get, "api/cluster"), PrintCluster));
        var wait = new Option<bool>("--wait") { Description = "return only when the node has left and stopped (at most --timeout)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds --wait waits (default 60)", DefaultValueFactory = _ => 60 };
        var leave = new Command("leave", "this node leaves the cluster gracefully (its shards move first), then stops; for preStop hooks")
            { wait, timeout, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        leave.SetAction(async (r, ct) =>
        {
            var code = await CallAsync<ClusterCommandResult>(r, (HttpMethod.Post, "api/cluster/leave"), b => PrintAddresses("leaving", b), ct);
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
            : await CallAsync<ClusterCommandResult>(r, (HttpMethod.Post, "api/cluster/down-unreachable"), b => PrintAddresses("downed", b), ct));
        cluster.Add(downUnreachable);

        var address = new Argument<string>("ADDRESS") { Description = "member address (akka.tcp://nius@HOST:PORT or HOST:PORT)" };
        var down = new Command("down", "mark one member down (it is removed and never comes back)")
            { address, yes, CommonOptions.Admin, CommonOptions.Token, CommonOptions.Json };
        down.SetAction(async (r, ct) =>
        {
            var a = r.GetValue(address)!;
            return !Confirmation.Ask("down", $"Down {a}?", r.GetValue(yes)) ? 1
                : await CallAsync<ClusterCommandResult>(r, (HttpMethod.Post, "api/cluster/down?address=" + Uri.EscapeDataString(a)), b => PrintAddresses("downed", b), ct);
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
        sharding.Add(Verb<List<RegionsView>>("regions", "the shard regions of the cluster, per type",
            r => (HttpMethod.Get, "api/sharding/regions" + (r.GetValue(regionsType) is { } t ? "?type=" + Uri.EscapeDataString(t) : "")),
            PrintRegions, regionsType));
        var statsType = Type();
        sharding.Add(Verb<List<RegionStatsView>>("region-stats", "entities per shard in every region of a type",
            r => (HttpMethod.Get, $"api/sharding/{Uri.EscapeDataString(r.GetValue(statsType)!)}/stats"), PrintRegionStats, statsType));
        var shardsType = Type();
        sharding.Add(Verb<ShardsView>("fetch-shards", "the shards this node's region hosts, with their entities",
            r => (HttpMethod.Get, $"api/sharding/{Uri.EscapeDataString(r.GetValue(shardsType)!)}/shards"), PrintShards, shardsType));
        return sharding;
    }

    public static Command Actor()
    {
        var actor = new Command("actor", "the node's actors: hierarchy");
        var depth = new Option<int?>("--depth", "-d") { Description = "levels below the start (default 4)" };
        var path = new Option<string?>("--start", "-s") { Description = "actor path to start at (default /, e.g. /system/sharding)" };
        actor.Add(Verb<ActorNode>("hierarchy", "the actor tree of the node",
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
        log.Add(Verb<List<LogRing.Line>>("peek", "the newest log lines the node kept in memory",
            r => (HttpMethod.Get, "api/log" + (r.GetValue(n) is { } count ? "?n=" + count : "")), PrintLog, n));
        return log;
    }

    /// <summary>`nius NAME show` for a node component (ComponentRegistry on the node).</summary>
    public static Command Component(string name, string description)
    {
        var cmd = new Command(name, description);
        cmd.Add(Verb<ComponentReport>("show", $"the {name} component of the node", _ => (HttpMethod.Get, "api/components/" + name), b =>
        {
            Console.WriteLine(b.Summary);
            if (b.Detail is JsonElement { ValueKind: not JsonValueKind.Null } detail) PrintJson(detail);
        }));
        return cmd;
    }

    /// <summary>Palettes still answered by <see cref="Admin.ComponentRegistry"/>; the scaler has its own verb now.</summary>
    public static IEnumerable<Command> Components() => [];

    private static void PrintCluster(ClusterView b)
    {
        Console.WriteLine($"self {b.Self}   leader {b.Leader}");
        var table = new Table().AddColumns("address", "status", "roles", "reachable", "free disk");
        foreach (var m in b.Members)
            table.AddRow(Markup.Escape(m.Address), Markup.Escape(m.Status), Markup.Escape(string.Join(",", m.Roles)),
                m.Reachable ? "yes" : "[red]no[/]", m.FreeDiskBytes is { } free ? $"{free / (1024.0 * 1024 * 1024):0.0} GiB" : "-");
        AnsiConsole.Write(table);
    }

    private static void PrintAddresses(string verb, ClusterCommandResult b) =>
        Console.WriteLine(b.Addresses.Count == 0 ? $"{verb}: none" : $"{verb}: {string.Join(", ", b.Addresses)}");

    private static void PrintRegions(List<RegionsView> b)
    {
        foreach (var t in b)
            foreach (var region in t.Regions)
                Console.WriteLine($"{t.Type}  {region}");
    }

    private static void PrintRegionStats(List<RegionStatsView> b)
    {
        var table = new Table().AddColumns("region", "shard", "entities");
        foreach (var region in b)
        {
            foreach (var (shard, entities) in region.Shards)
                table.AddRow(Markup.Escape(region.Region), Markup.Escape(shard), entities.ToString());
            foreach (var failed in region.Failed)
                table.AddRow(Markup.Escape(region.Region), Markup.Escape(failed), "[red]no answer[/]");
        }
        AnsiConsole.Write(table);
    }

    private static void PrintShards(ShardsView b)
    {
        var table = new Table().AddColumns("shard", "entities");
        foreach (var shard in b.Shards)
            table.AddRow(Markup.Escape(shard.ShardId), Markup.Escape(string.Join(", ", shard.Entities)));
        AnsiConsole.Write(table);
    }

    private static void PrintTree(ActorNode b)
    {
        var tree = new Tree(Markup.Escape(b.Path));
        void Add(IHasTreeNodes parent, ActorNode node)
        {
            foreach (var child in node.Children) Add(parent.AddNode(Markup.Escape(child.Name)), child);
        }
        Add(tree, b);
        AnsiConsole.Write(tree);
    }

    private static void PrintLog(List<LogRing.Line> b)
    {
        foreach (var line in b)
            Console.WriteLine($"{line.At.ToLocalTime():HH:mm:ss.fff} {line.Level,-11} {line.Category}: {line.Message}");
    }
}
