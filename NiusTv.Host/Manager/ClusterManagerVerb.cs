using System.CommandLine;
using System.Text.Json.Nodes;
using NiusTv.Host.Admin;
using NiusTv.Host.Cli;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Manager;

public static class ClusterManagerVerb
{
    public static Command Create()
    {
        var project = new Option<string>("--project") { Description = "Google Cloud project of the cluster and the stories topic", Required = true };
        var location = new Option<string>("--location") { Description = "zone or region of the cluster (default europe-west4-a)", DefaultValueFactory = _ => "europe-west4-a" };
        var spec = new Option<string>("--cluster-spec") { Description = "GKE Cluster resource (JSON) to create, e.g. deploy/gke/cluster.json", Required = true };
        var idle = new Option<double>("--idle-minutes") { Description = "delete the cluster after this long with no story waiting or running (default 20)", DefaultValueFactory = _ => 20 };
        var interval = new Option<double>("--interval") { Description = "seconds between looks (default 60)", DefaultValueFactory = _ => 60 };
        var subscription = new Option<string?>("--backlog-subscription") { Description = "count waiting stories in this subscription (pulled and nacked; honours PUBSUB_EMULATOR_HOST)" };
        var file = new Option<string?>("--backlog-file") { Description = "read the count of waiting stories from this file (one integer)" };
        var clusterAdmin = new Option<string?>("--cluster-admin") { Description = "a node's admin endpoint HOST:PORT: stories in flight keep the cluster (without it only the backlog counts)" };
        var gkeEndpoint = new Option<string?>("--gke-endpoint") { Description = "another GKE API endpoint (a test server); default Google's with Application Default Credentials" };
        var once = new Option<bool>("--once") { Description = "look once, act, and exit" };
        var cmd = new Command("cluster-manager", "outside the cluster: create the GKE cluster when stories wait, delete it when it has been idle")
            { project, location, spec, idle, interval, subscription, file, clusterAdmin, CommonOptions.Token, gkeEndpoint, once };
        cmd.SetAction(async (r, ct) =>
        {
            var specPath = r.GetValue(spec)!;
            if (!File.Exists(specPath)) throw new CliException($"--cluster-spec: the file '{specPath}' does not exist", 2);
            var clusterSpec = JsonNode.Parse(await File.ReadAllTextAsync(specPath, ct)) as JsonObject
                ?? throw new CliException($"--cluster-spec: '{specPath}' is not a JSON object", 2);
            if (clusterSpec["name"] is null) throw new CliException($"--cluster-spec: '{specPath}' names no cluster", 2);
            var settings = new ClusterManagerSettings(r.GetValue(project)!, r.GetValue(location)!, clusterSpec,
                TimeSpan.FromMinutes(r.GetValue(idle)), TimeSpan.FromSeconds(r.GetValue(interval)));

            IBacklog backlog = (r.GetValue(file), r.GetValue(subscription)) switch
            {
                ({ } f, null) => new FileBacklog(Path.GetFullPath(f)),
                (null, { } s) => new PeekSubscriptionBacklog(PubSubRestClient.Create(settings.Project), s, TimeSpan.FromSeconds(2)),
                _ => throw new CliException("give one of --backlog-subscription SUB or --backlog-file FILE", 2),
            };
            Func<CancellationToken, Task<int?>>? inFlight = null;
            if (r.GetValue(clusterAdmin) is { } admin)
            {
                var token = CommonOptions.AdminToken(r);
                inFlight = async c =>
                {
                    using var client = new AdminClient(admin, token, TimeSpan.FromSeconds(10));
                    var response = await client.GetAsync("api/scaler", c);
                    return response.Ok ? response.As<ScalerReport>().InFlight : null;
                };
            }
            using var gke = GkeClient.Create(r.GetValue(gkeEndpoint));
            var manager = new ClusterManager(settings, gke, backlog, inFlight,
                line => Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} cluster-manager: {line}"));
            Console.WriteLine($"cluster-manager: cluster {settings.Cluster} in {settings.Project}/{settings.Location}, backlog from {backlog.Describe}");
            if (r.GetValue(once))
            {
                try { await manager.StepAsync(ct); }
                catch (GkeException e) { throw new CliException(e.Message); }
                return 0;
            }
            await manager.RunAsync(ct);
            return 0;
        });
        return cmd;
    }
}
