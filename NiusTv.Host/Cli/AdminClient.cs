using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NiusTv.Host.Admin;

namespace NiusTv.Host.Cli;

/// <summary>A node that cannot be reached, said in a sentence rather than a stack trace.</summary>
public sealed class AdminUnreachableException(string admin, string why)
    : Exception($"no NiusTv node answers at {admin} ({why}); start one with `nius node`, or point --admin at a running node");

/// <summary>HTTP client of a node's admin endpoint.</summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    public string Admin { get; }

    public AdminClient(string admin, string? token, TimeSpan? timeout = null)
    {
        Admin = admin;
        _http = new HttpClient(Handler()) { BaseAddress = BaseAddress(admin), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>HOST:PORT is plain HTTP, as before; https://HOST:PORT talks to a node started with --admin-cert.</summary>
    public static Uri BaseAddress(string admin) =>
        admin.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || admin.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            ? new Uri(admin.TrimEnd('/') + "/") : new Uri($"http://{admin}/");

    /// <summary>NIUSTV_ADMIN_CERT names the node's certificate file (PEM or DER) to trust exactly, for a self-signed
    /// one; without it the system's trusted roots decide.</summary>
    private static HttpMessageHandler Handler()
    {
        var handler = new HttpClientHandler();
        if (Environment.GetEnvironmentVariable("NIUSTV_ADMIN_CERT") is { Length: > 0 } file)
        {
            var pinned = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(file);
            handler.ServerCertificateCustomValidationCallback = (_, cert, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None || (cert is not null && cert.RawDataMemory.Span.SequenceEqual(pinned.RawDataMemory.Span));
        }
        return handler;
    }

    /// <param name="Body">the reply as the node wrote it: what `--json` prints; <see cref="As{T}"/> reads it into the
    /// record the route answers with (<see cref="AdminJsonContext"/>).</param>
    public sealed record Response(HttpStatusCode Status, JsonElement Body, IReadOnlyDictionary<string, string>? Headers = null)
    {
        public bool Ok => (int)Status is >= 200 and < 300;
        public string? Header(string name) => Headers?.GetValueOrDefault(name);
        public T As<T>() => AdminJson.Read<T>(Body);

        /// <summary>A refusal's sentence (<see cref="AdminApi.ErrorBody"/>), or the whole body when it has none.</summary>
        public string ErrorText
        {
            get
            {
                try { if (Body.ValueKind == JsonValueKind.Object && As<AdminApi.ErrorBody>() is { Error: { } error }) return error; }
                catch (JsonException) { } // another shape (ASP.NET's problem details): shown whole
                return Body.ToString();
            }
        }

        /// <summary>The reply of a call that must succeed, as its record; a refusal is the CLI's one-line error.</summary>
        public T OkAs<T>() => Ok ? As<T>() : throw new CliException(ErrorText);
    }

    public Task<Response> GetAsync(string path, CancellationToken ct = default) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<Response> PostAsync(string path, string? json, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"), ct);

    public Task<Response> PutAsync(string path, string json, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, path, new StringContent(json, Encoding.UTF8, "application/json"), ct);

    public Task<Response> DeleteAsync(string path, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, path, null, ct);

    private async Task<Response> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            using var response = await _http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement body;
            try { body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(); }
            catch (JsonException) { body = JsonSerializer.SerializeToElement(new AdminApi.ErrorBody(text), AdminJson.Options); }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new CliException($"the node at {Admin} refused the request: missing or wrong admin token (--token or NIUSTV_ADMIN_TOKEN)");
            var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            return new Response(response.StatusCode, body, headers);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException s)
        {
            throw new AdminUnreachableException(Admin, s.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : s.Message);
        }
        catch (HttpRequestException e)
        {
            throw new AdminUnreachableException(Admin, e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AdminUnreachableException(Admin, $"no answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An error for the person at the terminal: printed as one line, exit code 1 (2 for usage).</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
