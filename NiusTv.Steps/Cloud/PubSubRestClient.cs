using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;

namespace NiusTv.Steps.Cloud;

/// <summary>Pub/Sub over its REST API (v1) with System.Text.Json: Google.Cloud.PubSub.V1 is not served here, and
/// the REST surface is small and identical on the emulator and the real service.</summary>
public sealed class PubSubRestClient : IPubSub, IDisposable
{
    public const string EmulatorVariable = "PUBSUB_EMULATOR_HOST";

    private readonly HttpClient _http;
    private readonly Func<CancellationToken, Task<string?>> _token;
    private readonly ResiliencePipeline<(int Status, JsonNode? Body)> _calls;

    public string Project { get; }
    public Uri Endpoint => _http.BaseAddress!;

    /// <param name="http">a client whose BaseAddress is the API root (from IHttpClientFactory in the node), with no
    /// timeout of its own: Pull long-polls, and the per-call cancellation decides how long.</param>
    /// <param name="token">bearer token per call, or null for none (the emulator).</param>
    public PubSubRestClient(HttpClient http, string project, Func<CancellationToken, Task<string?>> token, CloudRetry? retry = null,
        TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(project)) throw new ArgumentException("a Pub/Sub project id is needed", nameof(project));
        if (http.BaseAddress is null) throw new ArgumentException("the Pub/Sub client needs the API root as its BaseAddress", nameof(http));
        Project = project;
        _token = token;
        _http = http;
        _calls = (retry ?? CloudRetry.PubSub).Pipeline<(int Status, JsonNode? Body)>(
            o => o.Exception is PubSubException { Status: 0 } || o.Result.Status is 429 or >= 500, time);
    }

    /// <param name="token">bearer token per call, or null for none (the emulator).</param>
    public PubSubRestClient(Uri endpoint, string project, Func<CancellationToken, Task<string?>> token)
        : this(new HttpClient { BaseAddress = endpoint, Timeout = Timeout.InfiniteTimeSpan }, project, token)
    {
    }

    /// <summary>The emulator when PUBSUB_EMULATOR_HOST is set (plain HTTP, no credentials, as Google's own clients
    /// do); otherwise the real service.</summary>
    public static Uri EndpointFor() =>
        Environment.GetEnvironmentVariable(EmulatorVariable) is { } emulator && !string.IsNullOrWhiteSpace(emulator)
            ? new Uri($"http://{emulator.Trim()}/")
            : new Uri("https://pubsub.googleapis.com/");

    /// <summary>Tokens for <see cref="EndpointFor"/>: none for the emulator, Application Default Credentials otherwise.</summary>
    public static Func<CancellationToken, Task<string?>> TokensFor() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EmulatorVariable)) ? GoogleAccessTokens.ApplicationDefault() : GoogleAccessTokens.None;

    /// <summary>A client of its own, for the one-shot verbs; the node takes its HttpClient from the factory.</summary>
    public static PubSubRestClient Create(string project) => new(EndpointFor(), project, TokensFor());

    private string TopicPath(string topic) => $"projects/{Project}/topics/{topic}";
    private string SubscriptionPath(string subscription) => $"projects/{Project}/subscriptions/{subscription}";

    public async Task EnsureTopicAsync(string topic, CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "v1/" + TopicPath(topic), new JsonObject(), ct);
        if (status is 200 or 409) return; // 409: it exists, which is all we wanted
        throw Failure("create topic " + topic, status, body);
    }

    public async Task EnsureSubscriptionAsync(string subscription, string topic, int ackDeadlineSeconds, CancellationToken ct, bool ordered = false)
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "v1/" + SubscriptionPath(subscription),
            new JsonObject { ["topic"] = TopicPath(topic), ["ackDeadlineSeconds"] = ackDeadlineSeconds, ["enableMessageOrdering"] = ordered }, ct);
        if (status is 200 or 409) return;
        throw Failure("create subscription " + subscription, status, body);
    }

    public async Task<IReadOnlyList<string>> PublishAsync(string topic, IReadOnlyList<OutgoingMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0) return [];
        var list = new JsonArray();
        foreach (var m in messages)
        {
            var attributes = new JsonObject();
            foreach (var (k, v) in m.Attributes) attributes[k] = v;
            var message = new JsonObject { ["data"] = Convert.ToBase64String(m.Data), ["attributes"] = attributes };
            if (m.OrderingKey is { Length: > 0 } key) message["orderingKey"] = key;
            list.Add(message);
        }
        var body = await CallAsync(HttpMethod.Post, $"v1/{TopicPath(topic)}:publish", new JsonObject { ["messages"] = list }, "publish to " + topic, ct);
        return body?["messageIds"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
    }

    public async Task<IReadOnlyList<ReceivedMessage>> PullAsync(string subscription, int maxMessages, CancellationToken ct, bool returnImmediately = false)
    {
        var body = await CallAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:pull",
            new JsonObject { ["maxMessages"] = maxMessages, ["returnImmediately"] = returnImmediately }, "pull from " + subscription, ct);
        var received = body?["receivedMessages"]?.AsArray();
        if (received is null) return [];
        return received.Select(r =>
        {
            var m = r!["message"]!;
            var attributes = m["attributes"]?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) ?? new Dictionary<string, string>();
            var publishTime = m["publishTime"]?.GetValue<string>() is { } t && DateTimeOffset.TryParse(t, out var at) ? at : DateTimeOffset.UtcNow;
            return new ReceivedMessage(r["ackId"]!.GetValue<string>(), m["messageId"]?.GetValue<string>() ?? "",
                m["data"]?.GetValue<string>() is { } d ? Convert.FromBase64String(d) : [], attributes, publishTime,
                r["deliveryAttempt"]?.GetValue<int>() ?? 0);
        }).ToList();
    }

    public async Task AcknowledgeAsync(string subscription, IReadOnlyList<string> ackIds, CancellationToken ct)
    {
        if (ackIds.Count == 0) return;
        await CallAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:acknowledge",
            new JsonObject { ["ackIds"] = new JsonArray(ackIds.Select(a => (JsonNode)a!).ToArray()) }, "acknowledge on " + subscription, ct);
    }

    public async Task ModifyAckDeadlineAsync(string subscription, IReadOnlyList<string> ackIds, int seconds, CancellationToken ct)
    {
        if (ackIds.Count == 0) return;
        await CallAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscription)}:modifyAckDeadline",
            new JsonObject { ["ackIds"] = new JsonArray(ackIds.Select(a => (JsonNode)a!).ToArray()), ["ackDeadlineSeconds"] = seconds },
            "modify ack deadline on " + subscription, ct);
    }

    private async Task<JsonNode?> CallAsync(HttpMethod method, string path, JsonObject payload, string what, CancellationToken ct)
    {
        var (status, body) = await SendAsync(method, path, payload, ct);
        if (status is >= 200 and < 300) return body;
        throw Failure(what, status, body);
    }

    /// <summary>One call with retries on 429, 5xx and unreachable (<see cref="CloudRetry"/>): every call the
    /// project makes is idempotent or safe to repeat (see <see cref="IPubSub"/>).</summary>
    private async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonObject payload, CancellationToken ct) =>
        await _calls.ExecuteAsync(async token => await SendOnceAsync(method, path, payload, token), ct);

    private async Task<(int Status, JsonNode? Body)> SendOnceAsync(HttpMethod method, string path, JsonObject payload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(payload) };
        if (await _token(ct) is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, ct); }
        catch (HttpRequestException e) { throw new PubSubException($"Pub/Sub at {Endpoint} cannot be reached: {e.Message}", 0); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonNode? body = null;
            try { body = text.Length == 0 ? null : JsonNode.Parse(text); }
            catch (JsonException) { body = new JsonObject { ["error"] = new JsonObject { ["message"] = text } }; }
            return ((int)response.StatusCode, body);
        }
    }

    private PubSubException Failure(string what, int status, JsonNode? body)
    {
        var message = body?["error"]?["message"]?.GetValue<string>() ?? $"HTTP {status}";
        return new PubSubException($"Pub/Sub {what} failed ({status}): {message}", status);
    }

    public void Dispose() => _http.Dispose();
}
