using System.Net;
using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The admin endpoint's safety rules, checked against real node processes.</summary>
[Collection("nius processes")]
public sealed class AdminSecurityTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-sec-").FullName;

    private const string Story = """{"id":"locked-story","title":"Locked","paragraphs":["Nobody without the token may publish this."]}""";

    [Fact]
    public async Task Without_the_right_token_every_request_gets_401_and_changes_nothing()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, "s3cret-admin-token", null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        foreach (var auth in new[] { null, "Bearer wrong", "Bearer s3cret-admin-tokenX", "s3cret-admin-token" })
        {
            foreach (var (method, path) in new[] { ("POST", "api/stories"), ("POST", "api/stories/locked-story/retry"), ("POST", "api/cluster/leave"),
                         ("POST", "api/cluster/down-unreachable"), ("GET", "api/stories"), ("GET", "api/cluster"), ("GET", "api/log"), ("GET", "metrics") })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent(Story) : null };
                if (auth is not null) request.Headers.TryAddWithoutValidation("Authorization", auth);
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with '{auth}': {response.StatusCode}");
            }
        }
        var cli = await Nius.RunAsync(["stories", "--admin", node.Admin, "--token", "wrong"]);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("missing or wrong admin token", cli.Stderr);

        // Nothing changed: no story, and the node is still a member (leave was refused).
        var list = await node.CliAsync("stories", "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Empty(list.Json.EnumerateArray());
        Assert.Equal("up", (await node.CliAsync("cluster", "show", "--json")).Json.GetProperty("members")[0].GetProperty("status").GetString());

        var file = Path.Combine(_dir, "locked.json");
        await File.WriteAllTextAsync(file, Story);
        var published = await node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        Assert.Single((await node.CliAsync("stories", "--json")).Json.EnumerateArray());
    }

    [Fact]
    public async Task An_admin_endpoint_reachable_from_other_machines_needs_a_token_to_start()
    {
        var r = await Nius.RunAsync(["node", "--data", Path.Combine(_dir, "data"), "--admin", $"0.0.0.0:{Nius.FreePort()}"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("reachable from other machines; set an admin token", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("cluster", "show", "--json")]
    [InlineData("cluster", "sharding", "regions")]
    [InlineData("log", "peek")]
    [InlineData("story", "retry", "some-story")]
    public async Task Every_verb_says_so_in_a_sentence_when_no_node_answers(params string[] verb)
    {
        var r = await Nius.RunAsync([.. verb, "--admin", $"127.0.0.1:{Nius.FreePort()}"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no NiusTv node answers at 127.0.0.1:", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
