using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace NiusTv.Tests.Storage;

/// <summary>A loopback server speaking the subset of the Cloud Storage JSON API that Google.Cloud.Storage.V1 uses
/// for our stores: object metadata, media download (alt=media, with x-goog-hash), and resumable upload (a POST that
/// opens a session, PUTs of the session URI with Content-Range). No GCS emulator exists here; this is the other side
/// of the contract, kept small enough to read. Faults can be queued to prove the client's retries.</summary>
public sealed class FakeGcsServer : IAsyncDisposable
{
    public sealed record StoredObject(byte[] Data, string? ContentType, string? CacheControl, long Generation);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Bucket, string Name), StoredObject> _objects = new();
    private readonly ConcurrentDictionary<string, (string Bucket, string Name, string? ContentType, string? CacheControl, MemoryStream Data)> _sessions = new();
    private readonly ConcurrentQueue<int> _faults = new();
    private long _generation;

    public string Endpoint { get; private set; } = "";
    public int Requests;
    /// <summary>Serve media with a wrong checksum, as a corrupted transfer would arrive.</summary>
    public bool CorruptDownloads { get; set; }

    private FakeGcsServer(WebApplication app) => _app = app;

    public static async Task<FakeGcsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeGcsServer(app);
        app.Run(async ctx =>
        {
            // A bug in this server should read as one in the test output, not as a bare 500 from the client.
            try { await server.HandleAsync(ctx); }
            catch (Exception e) { await Error(ctx, 500, "fake server failed: " + e); }
        });
        await app.StartAsync();
        server.Endpoint = app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : "";
        return server;
    }

    public void Put(string bucket, string name, byte[] data, string? contentType = null) =>
        _objects[(bucket, name)] = new StoredObject(data, contentType, null, Interlocked.Increment(ref _generation));

    public StoredObject? Get(string bucket, string name) => _objects.GetValueOrDefault((bucket, name));

    /// <summary>Server-side copies to the names it picks fail with 503, every time (a bucket that refuses one object).</summary>
    public Func<string, bool>? RefuseCopiesTo { get; set; }

    /// <summary>Every object name in <paramref name="bucket"/>, for tests that check nothing was left behind.</summary>
    public IReadOnlyList<string> Names(string bucket) => _objects.Keys.Where(k => k.Bucket == bucket).Select(k => k.Name).Order().ToList();

    /// <summary>The next requests answer these statuses (e.g. 503, 429) instead of their result.</summary>
    public void FailNext(params int[] statuses) { foreach (var s in statuses) _faults.Enqueue(s); }

    /// <summary>Forgets the faults not yet answered.</summary>
    public void ClearFaults() => _faults.Clear();

    private async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref Requests);
        if (_faults.TryDequeue(out var fault))
        {
            await Error(ctx, fault, "injected fault");
            return;
        }
        // The object name is one path segment with '/' sent as %2F: read the raw target, not the decoded path.
        var raw = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?')[0];
        var parts = path.Trim('/').Split('/');
        var query = ctx.Request.Query;
        // The client gzips request bodies (Content-Encoding: gzip), as the real service accepts.
        var body = ctx.Request.Headers.ContentEncoding.ToString().Contains("gzip")
            ? new System.IO.Compression.GZipStream(ctx.Request.Body, System.IO.Compression.CompressionMode.Decompress) : ctx.Request.Body;

        if (ctx.Request.Method == "GET" && parts is ["storage", "v1", "b", var bucket, "o", var encoded])
        {
            var name = Uri.UnescapeDataString(encoded);
            if (!_objects.TryGetValue((bucket, name), out var o)) { await Error(ctx, 404, $"No such object: {bucket}/{name}"); return; }
            if (query["alt"] == "media")
            {
                var sent = CorruptDownloads ? o.Data.Select((b, i) => i == 0 ? (byte)(b ^ 0xff) : b).ToArray() : o.Data;
                ctx.Response.Headers["x-goog-hash"] = $"crc32c={Crc32cOf(o.Data)},md5={Convert.ToBase64String(MD5.HashData(o.Data))}";
                ctx.Response.ContentType = o.ContentType ?? "application/octet-stream";
                ctx.Response.ContentLength = sent.Length;
                await ctx.Response.Body.WriteAsync(sent);
                return;
            }
            await Json(ctx, 200, Resource(bucket, name, o));
            return;
        }
        if (ctx.Request.Method == "DELETE" && parts is ["storage", "v1", "b", var db, "o", var dencoded])
        {
            var name = Uri.UnescapeDataString(dencoded);
            if (!_objects.TryRemove((db, name), out _)) { await Error(ctx, 404, $"No such object: {db}/{name}"); return; }
            ctx.Response.StatusCode = 204;
            return;
        }
        if (ctx.Request.Method == "POST" && parts is ["storage", "v1", "b", var sb, "o", var sencoded, "rewriteTo", "b", var tb, "o", var tencoded])
        {
            // A server-side copy (objects.rewrite), finished in one call as the service does for small objects.
            var (source, target) = (Uri.UnescapeDataString(sencoded), Uri.UnescapeDataString(tencoded));
            if (RefuseCopiesTo?.Invoke(target) == true) { await Error(ctx, 503, $"copy to {tb}/{target} refused"); return; }
            if (!_objects.TryGetValue((sb, source), out var original)) { await Error(ctx, 404, $"No such object: {sb}/{source}"); return; }
            var copy = original with { Generation = Interlocked.Increment(ref _generation) };
            _objects[(tb, target)] = copy;
            await Json(ctx, 200, new
            {
                kind = "storage#rewriteResponse", totalBytesRewritten = copy.Data.Length.ToString(), objectSize = copy.Data.Length.ToString(),
                done = true, resource = Resource(tb, target, copy),
            });
            return;
        }
        if (ctx.Request.Method == "POST" && parts is ["upload", "storage", "v1", "b", var ub, "o"] && query["uploadType"] == "resumable")
        {
            var meta = await JsonDocument.ParseAsync(body);
            var m = meta.RootElement;
            var name = m.TryGetProperty("name", out var n) ? n.GetString()! : query["name"].ToString();
            var id = Guid.NewGuid().ToString("N");
            _sessions[id] = (ub, name, m.TryGetProperty("contentType", out var c) ? c.GetString() : ctx.Request.Headers["X-Upload-Content-Type"].ToString(),
                m.TryGetProperty("cacheControl", out var cc) ? cc.GetString() : null, new MemoryStream());
            ctx.Response.Headers.Location = $"{Endpoint}/upload/storage/v1/b/{ub}/o?uploadType=resumable&upload_id={id}";
            ctx.Response.StatusCode = 200;
            return;
        }
        if (ctx.Request.Method == "PUT" && parts is ["upload", "storage", "v1", "b", _, "o"] && query["upload_id"].ToString() is { Length: > 0 } session)
        {
            if (!_sessions.TryGetValue(session, out var s)) { await Error(ctx, 404, "no such upload session"); return; }
            var chunk = new MemoryStream();
            await body.CopyToAsync(chunk);
            // Content-Range: "bytes FIRST-LAST/TOTAL", "bytes FIRST-LAST/*" or "bytes */TOTAL" (a status query).
            var range = ctx.Request.Headers.ContentRange.ToString().Replace("bytes ", "");
            var slash = range.IndexOf('/');
            var span = range[..slash];
            var total = range[(slash + 1)..];
            if (span != "*")
            {
                var first = long.Parse(span.Split('-')[0]);
                if (first == s.Data.Length) s.Data.Write(chunk.ToArray());
            }
            if (total != "*" && long.Parse(total) == s.Data.Length)
            {
                _sessions.TryRemove(session, out _);
                var o = new StoredObject(s.Data.ToArray(), s.ContentType, s.CacheControl, Interlocked.Increment(ref _generation));
                _objects[(s.Bucket, s.Name)] = o; // the object appears whole, at the last byte
                await Json(ctx, 200, Resource(s.Bucket, s.Name, o));
                return;
            }
            if (s.Data.Length > 0) ctx.Response.Headers["Range"] = $"bytes=0-{s.Data.Length - 1}";
            ctx.Response.StatusCode = 308;
            return;
        }
        await Error(ctx, 400, $"the fake server does not speak {ctx.Request.Method} {raw}");
    }

    private static object Resource(string bucket, string name, StoredObject o) => new
    {
        kind = "storage#object", id = $"{bucket}/{name}/{o.Generation}", bucket, name,
        size = o.Data.Length.ToString(), contentType = o.ContentType, cacheControl = o.CacheControl,
        generation = o.Generation.ToString(), metageneration = "1",
        md5Hash = Convert.ToBase64String(MD5.HashData(o.Data)), crc32c = Crc32cOf(o.Data),
    };

    private static readonly uint[] Crc32cTable = Enumerable.Range(0, 256).Select(i =>
    {
        var c = (uint)i;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1; // Castagnoli, reflected
        return c;
    }).ToArray();

    /// <summary>CRC32C as Cloud Storage reports it: base64 of the big-endian 32-bit value.</summary>
    private static string Crc32cOf(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Crc32cTable[(crc ^ b) & 0xff] ^ (crc >> 8);
        crc ^= 0xFFFFFFFFu;
        return Convert.ToBase64String([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
    }

    private static Task Json(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private static Task Error(HttpContext ctx, int status, string message) =>
        Json(ctx, status, new { error = new { code = status, message, errors = new[] { new { message, reason = status == 404 ? "notFound" : "backendError" } } } });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
