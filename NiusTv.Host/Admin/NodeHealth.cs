using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NiusTv.Actors.Stories;
using NiusTv.Host.Node;

namespace NiusTv.Host.Admin;

/// <summary>Readiness parts of our own: the journal takes writes (not only reads), and the workspace disk has room.
/// /health/ready answers them as JSON, so an operator (or `curl`) sees why a node is not ready and how much space it
/// has, while probes keep reading the status code.</summary>
public static class NodeHealth
{
    public const string JournalWrite = "journal-write";
    public const string WorkspaceDisk = "workspace-disk";

    public static IHealthChecksBuilder AddNodeHealth(this IHealthChecksBuilder checks) => checks
        .AddCheck<JournalWriteCheck>(JournalWrite, tags: [NodeHost.ReadyTag])
        .AddCheck<WorkspaceDiskCheck>(WorkspaceDisk, tags: [NodeHost.ReadyTag]);

    /// <summary>The journal watch's word, asked with a short timeout: a node whose actors do not answer is not ready.</summary>
    public static Task<JournalWatchProtocol.JournalStatus?> JournalStatusAsync(ActorRegistry registry, CancellationToken ct) =>
        AskJournalWatchAsync(registry, JournalWatchProtocol.GetJournalStatus.Instance, TimeSpan.FromSeconds(3),
            new JournalWatchProtocol.JournalStatus(false, null, "the journal watch did not answer within 3 s", null), ct);

    /// <summary>A real write made now, for when a publish got no answer and the reason matters; null when even that
    /// did not answer in time (the node is busy, which says nothing against the journal).</summary>
    public static Task<JournalWatchProtocol.JournalStatus?> ProbeJournalAsync(ActorRegistry registry, CancellationToken ct) =>
        AskJournalWatchAsync(registry, JournalWatchProtocol.ProbeNow.Instance, TimeSpan.FromSeconds(12), null, ct);

    private static async Task<JournalWatchProtocol.JournalStatus?> AskJournalWatchAsync(ActorRegistry registry, object question,
        TimeSpan wait, JournalWatchProtocol.JournalStatus? whenSilent, CancellationToken ct)
    {
        if (!registry.TryGet<JournalWatch>(out var watch)) return null;
        try { return await watch.Ask<JournalWatchProtocol.JournalStatus>(question, wait, ct); }
        catch (AskTimeoutException) { return whenSilent; }
    }

    private sealed class JournalWriteCheck(ActorRegistry registry) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            var status = await JournalStatusAsync(registry, ct);
            if (status is null) return HealthCheckResult.Unhealthy("the journal watch has not started");
            var data = new Dictionary<string, object> { ["lastWrite"] = status.LastWrite?.ToString("O") ?? "none yet" };
            return status.Writable
                ? HealthCheckResult.Healthy("the journal takes writes", data)
                : HealthCheckResult.Unhealthy($"the journal cannot write since {status.Since:HH:mm:ss}Z: {status.Problem}", data: data);
        }
    }

    /// <summary>Unhealthy when the workspace disk is below the free space the allocation strategy wants for new
    /// stories; its free bytes are reported either way.</summary>
    private sealed class WorkspaceDiskCheck(NodeSettings settings) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            long free;
            // Measured as the node reports it to the allocation strategy; a folder that cannot be read has no room.
            try { free = Actors.Sharding.NodeLoadReporter.FreeDisk(settings.WorkspaceRoot); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { free = 0; }
            var data = new Dictionary<string, object> { ["freeBytes"] = free, ["path"] = settings.WorkspaceRoot };
            var wanted = Actors.Sharding.StoryAffinitySettings.Default.MinFreeDiskBytes;
            return Task.FromResult(free >= wanted
                ? HealthCheckResult.Healthy($"{Gib(free)} free for workspaces", data)
                : HealthCheckResult.Unhealthy($"only {Gib(free)} free for workspaces; new stories need {Gib(wanted)}", data: data));
        }
    }

    private static string Gib(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB";

    /// <summary>{"status", "checks": [{"name", "status", "description", "data"}]}.</summary>
    public static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, NodeHost.Json));
    }

    public static HealthCheckOptions ReadyOptions => new()
    {
        Predicate = r => r.Tags.Contains(NodeHost.ReadyTag),
        ResponseWriter = WriteJson,
    };
}
