using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A node with OTEL_EXPORTER_OTLP_ENDPOINT set ships its story spans over OTLP/HTTP, as a collector
/// receives them.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class TraceExportTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-otlp-").FullName;

    [Fact]
    public async Task Step_spans_reach_the_configured_otlp_endpoint()
    {
        var port = LoopbackPorts.Free();
        using var collector = new HttpListener { Prefixes = { $"http://127.0.0.1:{port}/" } };
        collector.Start();
        var received = new List<(string Path, byte[] Body)>();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await collector.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                using var body = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(body);
                lock (received) received.Add((ctx.Request.Url!.AbsolutePath, body.ToArray()));
                ctx.Response.StatusCode = 200;
                ctx.Response.Close();
            }
        });

        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, null, new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            });
        var file = Path.Combine(_dir, "traced.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            id = "traced-story", title = "Traced", paragraphs = new[] { "A short story to trace." }, output = new { width = 320, height = 180, fps = 25 },
        }));
        Assert.Equal(0, (await node.CliAsync("publish", file)).ExitCode);
        var story = await node.WaitForAsync("traced-story", NodeProcess.Finished, TimeSpan.FromMinutes(3));
        Assert.Equal("completed", story.GetProperty("state").GetString());

        // Protobuf keeps strings as UTF-8, so the payload can be searched for the names it must carry.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        while (true)
        {
            lock (received) text = string.Join("\n", received.Where(r => r.Path == "/v1/traces").Select(r => Encoding.UTF8.GetString(r.Body)));
            if (text.Contains("step publish") || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        }
        foreach (var expected in new[] { "NiusTv.Stories", "traced-story", "step init", "step speech", "step compose", "step publish",
                     "niustv.node", "niustv.backend", "niustv.attempt", "niustv.outcome", "completed", "niustv" })
            Assert.Contains(expected, text);
        collector.Stop();
        await receiving;
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
