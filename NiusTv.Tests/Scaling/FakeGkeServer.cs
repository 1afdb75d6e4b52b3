using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NiusTv.Tests.Scaling;

/// <summary>A loopback server speaking the part of the GKE REST API (container.googleapis.com v1) that NiusTv uses:
/// clusters create/get/delete, nodePools setSize, and operations that go PENDING → RUNNING → DONE over a few polls,
/// optionally ending with an <c>error</c>. Errors have Google's shape (<c>{"error":{"code","message","status"}}</c>).
/// Faults can be queued to prove retries.</summary>
public sealed class FakeGkeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _clusters = new();
    private readonly ConcurrentDictionary<string, (int PollsLeft, string? Error, Action? OnDone)> _operations = new();
    private readonly ConcurrentQueue<int> _faults = new();
    private int _nextOperation;

    public string Endpoint { get; private set; } = "";
    public int Requests;
    /// <summary>Every setSize request, in order: (node pool path, nodeCount).</summary>
    public ConcurrentQueue<(string Pool, int Nodes)> Resizes { get; } = new();
    public ConcurrentQueue<string> Creates { get; } = new();
    public ConcurrentQueue<string> Deletes { get; } = new();
    /// <summary>Polls an operation needs before it is DONE.</summary>
    public int PollsPerOperation { get; set; } = 2;
    /// <summary>The next operation ends DONE with this error message.</summary>
    public string? FailNextOperation { get; set; }

    private FakeGkeServer(WebApplication app) => _app = app;

    public static async Task<FakeGkeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeGkeServer(app);
        app.Run(async ctx =>
        {
            try { await server.HandleAsync(ctx); }
            catch (Exception e) { await Error(ctx, 500, "INTERNAL", "fake server failed: " + e); }
        });
        await app.StartAsync();
        server.Endpoint = ((IServer)app.Services.GetService(typeof(IServer))!).Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public void FailNext(params int[] statuses) { foreach (var s in statuses) _faults.Enqueue(s); }

    public bool HasCluster(string path) => _clusters.ContainsKey(path);
    public string? ClusterStatus(string path) => _clusters.TryGetValue(path, out var c) ? c["status"]?.GetValue<string>() : null;
    public int? PoolSize(string clusterPath, string pool) =>
        _clusters.TryGetValue(clusterPath, out var c) ? c["nodePools"]?.AsArray().FirstOrDefault(p => p?["name"]?.GetValue<string>() == pool)?["initialNodeCount"]?.GetValue<int>() : null;

    private async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref Requests);
        if (_faults.TryDequeue(out var fault))
        {
            await Error(ctx, fault, fault == 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE", "injected fault");
            return;
        }
        var path = ctx.Request.Path.Value!.Trim('/');
        var method = ctx.Request.Method;
        var parts = path.Split('/');
        if (parts is not ["v1", "projects", var project, "locations", var location, ..])
        {
            await Error(ctx, 404, "NOT_FOUND", "no such path " + path);
            return;
        }
        var prefix = $"projects/{project}/locations/{location}";
        var rest = parts[5..];
        JsonNode? body = ctx.Request.ContentLength > 0 || method == "POST" ? await JsonNode.ParseAsync(ctx.Request.Body) : null;

        switch (method, rest)
        {
            case ("POST", ["clusters"]):
            {
                var cluster = body!["cluster"]!.AsObject().DeepClone().AsObject();
                var clusterPath = $"{prefix}/clusters/{cluster["name"]!.GetValue<string>()}";
                if (_clusters.ContainsKey(clusterPath)) { await Error(ctx, 409, "ALREADY_EXISTS", $"Already exists: {clusterPath}."); return; }
                cluster["status"] = "PROVISIONING";
                _clusters[clusterPath] = cluster;
                Creates.Enqueue(clusterPath);
                await Json(ctx, 200, Operation(prefix, "CREATE_CLUSTER", clusterPath, () => cluster["status"] = "RUNNING"));
                return;
            }
            case ("GET", ["clusters", var name]):
            {
                if (_clusters.TryGetValue($"{prefix}/clusters/{name}", out var cluster)) await Json(ctx, 200, cluster);
                else await Error(ctx, 404, "NOT_FOUND", $"Not found: {prefix}/clusters/{name}.");
                return;
            }
            case ("DELETE", ["clusters", var name]):
            {
                var clusterPath = $"{prefix}/clusters/{name}";
                if (!_clusters.TryGetValue(clusterPath, out var cluster)) { await Error(ctx, 404, "NOT_FOUND", $"Not found: {clusterPath}."); return; }
                cluster["status"] = "STOPPING";
                Deletes.Enqueue(clusterPath);
                await Json(ctx, 200, Operation(prefix, "DELETE_CLUSTER", clusterPath, () => _clusters.TryRemove(clusterPath, out _)));
                return;
            }
            case ("POST", ["clusters", var name, "nodePools", var poolAndVerb]) when poolAndVerb.EndsWith(":setSize", StringComparison.Ordinal):
            {
                var pool = poolAndVerb[..^":setSize".Length];
                var clusterPath = $"{prefix}/clusters/{name}";
                var nodes = body!["nodeCount"]!.GetValue<int>();
                Resizes.Enqueue(($"{clusterPath}/nodePools/{pool}", nodes));
                await Json(ctx, 200, Operation(prefix, "SET_NODE_POOL_SIZE", $"{clusterPath}/nodePools/{pool}", () =>
                {
                    if (_clusters.TryGetValue(clusterPath, out var c) && c["nodePools"]?.AsArray().FirstOrDefault(p => p?["name"]?.GetValue<string>() == pool) is JsonObject p)
                        p["initialNodeCount"] = nodes;
                }));
                return;
            }
            case ("GET", ["operations", var id]):
            {
                if (!_operations.TryGetValue(id, out var op)) { await Error(ctx, 404, "NOT_FOUND", "no operation " + id); return; }
                var left = op.PollsLeft - 1;
                _operations[id] = op with { PollsLeft = left };
                var result = new JsonObject { ["name"] = id, ["status"] = left <= 0 ? "DONE" : "RUNNING" };
                if (left <= 0 && op.Error is { } message)
                    result["error"] = new JsonObject { ["code"] = 9, ["message"] = message };
                if (left == 0 && op.Error is null) op.OnDone?.Invoke();
                await Json(ctx, 200, result);
                return;
            }
        }
        await Error(ctx, 404, "NOT_FOUND", $"{method} {path} is not part of this fake");
    }

    private JsonObject Operation(string prefix, string type, string target, Action onDone)
    {
        var id = "operation-" + Interlocked.Increment(ref _nextOperation);
        var error = FailNextOperation;
        FailNextOperation = null;
        _operations[id] = (PollsPerOperation, error, onDone);
        if (PollsPerOperation <= 0 && error is null) onDone();
        return new JsonObject
        {
            ["name"] = id, ["operationType"] = type, ["status"] = PollsPerOperation <= 0 ? "DONE" : "PENDING",
            ["selfLink"] = $"https://container.googleapis.com/v1/{prefix}/operations/{id}", ["targetLink"] = target,
        };
    }

    private static Task Json(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static Task Error(HttpContext ctx, int status, string code, string message) =>
        Json(ctx, status, new JsonObject { ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = code } });

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
