using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A real node whose SQLite journal lives on a 4 MB tmpfs the test mounts and fills: publishing answers 503
/// with the cause at once, /health/ready turns 503 and says why, a refused story is never applied, and everything
/// recovers when space returns.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class JournalOutageEndToEndTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-outage-e2e-").FullName;
    private SmallDisk? _disk;

    private static StringContent Story(string id) => new(JsonSerializer.Serialize(new
    {
        id, title = "Story " + id, paragraphs = new[] { "A short sentence." }, output = new { width = 320, height = 180, fps = 10 },
    }), Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_full_journal_disk_gives_503_with_the_cause_unready_health_and_no_late_acceptance()
    {
        _disk = new SmallDisk(Path.Combine(_dir, "journal"), 4);
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, "--journal", "sqlite:" + Path.Combine(_disk.Path, "nius.db"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/"), Timeout = TimeSpan.FromSeconds(60) };

        var ready = await http.GetAsync("health/ready");
        var readyBody = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, readyBody);
        var checks = JsonDocument.Parse(readyBody).RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("Healthy", checks["journal-write"].GetProperty("status").GetString());
        Assert.True(checks["workspace-disk"].GetProperty("data").GetProperty("freeBytes").GetInt64() > 0);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("api/stories", Story("before-full"))).StatusCode);

        var filler = _disk.FillUp();
        var clock = Stopwatch.StartNew();
        var refused = await http.PostAsync("api/stories", Story("while-full"));
        var refusedBody = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{refused.StatusCode}: {refusedBody}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"answered after {clock.Elapsed.TotalSeconds:0.0} s");
        var error = JsonDocument.Parse(refusedBody).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("story while-full was not accepted", error);
        Assert.Contains("journal", error);
        Assert.Contains("full", error, StringComparison.OrdinalIgnoreCase);

        var unready = await http.GetAsync("health/ready");
        var unreadyBody = await unready.Content.ReadAsStringAsync();
        Assert.True(unready.StatusCode == HttpStatusCode.ServiceUnavailable, unreadyBody);
        Assert.Contains("the journal cannot write", unreadyBody);
        // Known down: refused before anything is sent.
        var second = await http.PostAsync("api/stories", Story("also-while-full"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("this node's journal cannot write", await second.Content.ReadAsStringAsync());

        File.Delete(filler);
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while ((await http.GetAsync("health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the node never became ready again:\n" + node.Log);
            await Task.Delay(300);
        }
        foreach (var id in new[] { "while-full", "also-while-full" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/stories/{id}")).StatusCode);
        var accepted = await http.PostAsync("api/stories", Story("while-full"));
        var acceptedBody = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.OK, acceptedBody);
        Assert.Equal(1, JsonDocument.Parse(acceptedBody).RootElement.GetProperty("revision").GetInt32());
    }

    public ValueTask DisposeAsync()
    {
        _disk?.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
