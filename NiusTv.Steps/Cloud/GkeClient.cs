using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;

namespace NiusTv.Steps.Cloud;

/// <summary>Where the GPU pool lives: <c>projects/P/locations/L/clusters/C/nodePools/N</c>.</summary>
public sealed record GkeNodePoolRef(string Project, string Location, string Cluster, string NodePool)
{
    public string ClusterPath => $"projects/{Project}/locations/{Location}/clusters/{Cluster}";
    public string Path => $"{ClusterPath}/nodePools/{NodePool}";
    public override string ToString() => Path;
}

/// <summary>The size of the GPU node pool, as the scaler changes it. An interface so the scaler does not care
/// whether GKE or a log line receives its decision.</summary>
public interface INodePool
{
    /// <summary>Returns once the resize is done (the operation finished); throws <see cref="GkeException"/> when it
    /// failed after retries.</summary>
    Task SetSizeAsync(int nodes, CancellationToken ct);
    string Describe { get; }
}

public sealed class GkeException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The few GKE calls NiusTv needs, over the REST API (container.googleapis.com v1) with System.Text.Json:
/// Google.Cloud.Container.V1 is not served here. Each mutating call returns a long-running operation that is polled
/// until DONE; 429 and 5xx are retried through <see cref="CloudRetry"/>; repeating a call is harmless (create of an existing
/// cluster and delete of a missing one succeed).</summary>
public sealed class GkeClient : IDisposable
{

    private readonly HttpClient _http;
    private readonly Func<CancellationToken, Task<string?>> _token;
    private readonly GkeRetry _retry;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<(int Status, JsonNode? Body)> _calls;

    public Uri Endpoint => _http.BaseAddress!;

    /// <summary>Every call waits at most this long for an answer (an operation is polled, not waited on).</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    /// <param name="http">a client whose BaseAddress is the API root (from IHttpClientFactory in the node).</param>
    /// <param name="token">bearer token per call, or null for none (a loopback test server).</param>
    public GkeClient(HttpClient http, Func<CancellationToken, Task<string?>> token, GkeRetry? retry = null, TimeProvider? time = null)
    {
        if (http.BaseAddress is null) throw new ArgumentException("the GKE client needs the API root as its BaseAddress", nameof(http));
        _http = http;
        _token = token;
        _retry = retry ?? GkeRetry.Default;
        _time = time ?? TimeProvider.System;
        _calls = _retry.Calls.Pipeline<(int Status, JsonNode? Body)>(o => o.Exception is null && o.Result.Status is 0 or 429 or >= 500, _time);
    }

    /// <summary>The API root: <paramref name="endpoint"/> (a test server), else the real service.</summary>
    public static Uri EndpointFor(string? endpoint) =>
        string.IsNullOrWhiteSpace(endpoint) ? new Uri("https://container.googleapis.com/") : new Uri(endpoint.TrimEnd('/') + "/");

    /// <summary>Tokens for <see cref="EndpointFor"/>: Application Default Credentials (Workload Identity in GKE,
    /// `gcloud auth application-default login` on a VM or laptop) for the real service, none for a test server.</summary>
    public static Func<CancellationToken, Task<string?>> TokensFor(string? endpoint) =>
        string.IsNullOrWhiteSpace(endpoint) ? GoogleAccessTokens.ApplicationDefault() : GoogleAccessTokens.None;

    /// <summary>A client of its own, for the one-shot verbs and tests; the node takes its HttpClient from the factory.</summary>
    public static GkeClient Create(string? endpoint = null, GkeRetry? retry = null) =>
        new(new HttpClient { BaseAddress = EndpointFor(endpoint), Timeout = CallTimeout }, TokensFor(endpoint), retry);

    public async Task SetNodePoolSizeAsync(GkeNodePoolRef pool, int nodes, CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, $"v1/{pool.Path}:setSize",
            new JsonObject { ["nodeCount"] = nodes }, $"resize {pool} to {nodes}", ct);
        if (status is >= 200 and < 300) { await WaitAsync(pool.Project, pool.Location, body, $"resize {pool} to {nodes}", ct); return; }
        throw Failure($"resize {pool} to {nodes}", status, body);
    }

    /// <summary>The cluster, or null when there is none.</summary>
    public async Task<JsonNode?> GetClusterAsync(string project, string location, string cluster, CancellationToken ct)
    {
        var path = $"projects/{project}/locations/{location}/clusters/{cluster}";
        var (status, body) = await SendAsync(HttpMethod.Get, "v1/" + path, null, "get cluster " + path, ct);
        if (status == 404) return null;
        if (status is >= 200 and < 300) return body;
        throw Failure("get cluster " + path, status, body);
    }

    /// <param name="cluster">a GKE <c>Cluster</c> resource (JSON) with at least its <c>name</c>; node pools included.</param>
    public async Task CreateClusterAsync(string project, string location, JsonObject cluster, CancellationToken ct)
    {
        var name = cluster["name"]?.GetValue<string>() ?? throw new ArgumentException("the cluster needs a name", nameof(cluster));
        var what = $"create cluster {name} in {project}/{location}";
        var (status, body) = await SendAsync(HttpMethod.Post, $"v1/projects/{project}/locations/{location}/clusters",
            new JsonObject { ["cluster"] = cluster.DeepClone() }, what, ct);
        if (status == 409)
        {
            // Already there (a repeat, or another manager won): fine once it is really there and not being deleted.
            var existing = await GetClusterAsync(project, location, name, ct);
            var state = existing?["status"]?.GetValue<string>();
            if (existing is not null && state is not ("STOPPING" or "ERROR")) return;
            throw new GkeException($"GKE {what}: it exists but is {state ?? "gone again"}", 409);
        }
        if (status is >= 200 and < 300) { await WaitAsync(project, location, body, what, ct); return; }
        throw Failure(what, status, body);
    }

    public async Task DeleteClusterAsync(string project, string location, string cluster, CancellationToken ct)
    {
        var what = $"delete cluster {cluster} in {project}/{location}";
        var (status, body) = await SendAsync(HttpMethod.Delete, $"v1/projects/{project}/locations/{location}/clusters/{cluster}", null, what, ct);
        if (status == 404) return; // already gone: what we wanted
        if (status is >= 200 and < 300) { await WaitAsync(project, location, body, what, ct); return; }
        throw Failure(what, status, body);
    }

    /// <summary>Polls the operation in <paramref name="started"/> until DONE; an operation that ends with an
    /// <c>error</c> becomes a <see cref="GkeException"/> carrying its message.</summary>
    private async Task WaitAsync(string project, string location, JsonNode? started, string what, CancellationToken ct)
    {
        var operation = started;
        var delay = _retry.PollInterval;
        while (true)
        {
            var name = operation?["name"]?.GetValue<string>() ?? throw new GkeException($"GKE {what}: the answer named no operation", 0);
            if (operation?["status"]?.GetValue<string>() == "DONE")
            {
                if (operation["error"] is JsonObject error)
                    throw new GkeException($"GKE {what} failed: {error["message"]?.GetValue<string>() ?? error.ToJsonString()}",
                        error["code"]?.GetValue<int>() ?? 0);
                return;
            }
            await Task.Delay(delay, _time, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _retry.MaxPollInterval.Ticks));
            // The operation's name is its last path segment; it lives under the same project and location.
            var id = name.Split('/')[^1];
            var (status, body) = await SendAsync(HttpMethod.Get, $"v1/projects/{project}/locations/{location}/operations/{id}", null, what, ct);
            if (status is < 200 or >= 300) throw Failure($"{what}: poll operation {id}", status, body);
            operation = body;
        }
    }

    /// <summary>One call with retries on 429, 5xx and unreachable (<see cref="CloudRetry"/>); other statuses are
    /// returned for the caller to judge (404 and 409 mean different things to different calls).</summary>
    private async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonObject? payload, string what, CancellationToken ct) =>
        await _calls.ExecuteAsync(async token => await SendOnceAsync(method, path, payload, token), ct);

    private async Task<(int Status, JsonNode? Body)> SendOnceAsync(HttpMethod method, string path, JsonObject? payload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (payload is not null) request.Content = JsonContent.Create(payload);
        if (await _token(ct) is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await _http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonNode? body;
            try { body = text.Length == 0 ? null : JsonNode.Parse(text); }
            catch (JsonException) { body = new JsonObject { ["error"] = new JsonObject { ["message"] = text } }; }
            return ((int)response.StatusCode, body);
        }
        catch (HttpRequestException e)
        {
            return (0, new JsonObject { ["error"] = new JsonObject { ["message"] = $"GKE at {Endpoint} cannot be reached: {e.Message}" } });
        }
    }

    private static GkeException Failure(string what, int status, JsonNode? body)
    {
        var message = body?["error"]?["message"]?.GetValue<string>() ?? $"HTTP {status}";
        return new GkeException($"GKE {what} failed ({status}): {message}", status);
    }

    public void Dispose() => _http.Dispose();
}

/// <param name="Attempts">tries per call, the first included, before a 429/5xx is reported.</param>
public sealed record GkeRetry(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay, TimeSpan PollInterval, TimeSpan MaxPollInterval)
{
    /// <summary>The calls' share: the same pipeline as every cloud call. Polling an operation is not a retry.</summary>
    public CloudRetry Calls => new(Attempts, FirstDelay, MaxDelay);

    /// <summary>GKE operations take minutes (a GPU node ~9): polls slow down to every 15 s.</summary>
    public static readonly GkeRetry Default = new(6, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
}

/// <summary>The GPU pool of a GKE cluster.</summary>
public sealed class GkeNodePool(GkeClient client, GkeNodePoolRef pool) : INodePool
{
    public string Describe => "GKE node pool " + pool;
    public Task SetSizeAsync(int nodes, CancellationToken ct) => client.SetNodePoolSizeAsync(pool, nodes, ct);
}
