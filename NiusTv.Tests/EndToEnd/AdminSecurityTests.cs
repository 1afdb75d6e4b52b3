using System.Net;
using System.Text.Json;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.EndToEnd;

/// <summary>The admin endpoint's safety rules, checked against real node processes.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
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
        var r = await Nius.RunAsync(["node", "--data", Path.Combine(_dir, "data"), "--admin", $"0.0.0.0:{LoopbackPorts.Free()}"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("reachable from other machines; set an admin token", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("cluster", "show", "--json")]
    [InlineData("cluster", "sharding", "regions")]
    [InlineData("log", "peek")]
    [InlineData("story", "retry", "some-story")]
    [InlineData("voices")]
    [InlineData("pronunciations", "set", "Ruiz", "R UW IY S")]
    public async Task Every_verb_says_so_in_a_sentence_when_no_node_answers(params string[] verb)
    {
        var r = await Nius.RunAsync([.. verb, "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"]);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no NiusTv node answers at 127.0.0.1:", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    private static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_page_of_another_site_cannot_publish_cancel_upload_or_stop_the_default_node()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        var story = """{"id":"evil-story","title":"Evil","paragraphs":["Published by another site."]}""";

        async Task<HttpStatusCode> Send(string method, string path, HttpContent? content, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var requests = new (string Method, string Path, Func<HttpContent?> Body)[]
        {
            ("POST", "api/stories", () => JsonBody(story)),
            ("POST", "api/stories/evil-story/cancel", () => null),
            ("POST", "api/stories/evil-story/retry", () => null),
            ("PUT", "api/drafts/evil-story", () => JsonBody(story)),
            ("DELETE", "api/drafts/evil-story", () => null),
            ("POST", "api/uploads/evil-story", () => new ByteArrayContent([0xFF, 0xD8, 0xFF])),
            ("POST", "api/cluster/leave", () => null),
            ("POST", "api/cluster/down-unreachable", () => null),
        };
        foreach (var (method, path, body) in requests)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await Send(method, path, body(), ("Origin", "https://evil.example")));
            Assert.Equal(HttpStatusCode.Forbidden, await Send(method, path, body(), ("Origin", "null")));
            Assert.Equal(HttpStatusCode.Forbidden, await Send(method, path, body(), ("Referer", "https://evil.example/page.html")));
            Assert.Equal(HttpStatusCode.Forbidden, await Send(method, path, body(), ("Sec-Fetch-Site", "cross-site")));
            // DNS rebinding: the attacker's name pointing at 127.0.0.1.
            Assert.Equal(HttpStatusCode.BadRequest, await Send(method, path, body(), ("Host", "attacker.example")));
        }
        Assert.Equal(HttpStatusCode.BadRequest, await Send("GET", "api/stories", null, ("Host", "attacker.example")));
        // What a form or a no-preflight fetch of another site can send is not a story.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await Send("POST", "api/stories", new StringContent(story)));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await Send("PUT", "api/drafts/evil-story", new StringContent(story)));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await Send("POST", "api/uploads/evil-story",
            new FormUrlEncodedContent([new("a", "b")])));

        // Nothing changed: no story, no draft, the node is still up.
        var list = await node.CliAsync("stories", "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Empty(list.Json.EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(_dir, "data", "drafts")));
        Assert.Equal("up", (await node.CliAsync("cluster", "show", "--json")).Json.GetProperty("members")[0].GetProperty("status").GetString());

        // The newsroom's own pages (same origin) and the CLI (no Origin) still publish; localhost names this node too.
        var port = node.Admin.Split(':')[1];
        Assert.Equal(HttpStatusCode.OK, await Send("POST", "api/stories", JsonBody(story), ("Origin", $"http://{node.Admin}"),
            ("Sec-Fetch-Site", "same-origin")));
        Assert.Equal(HttpStatusCode.OK, await Send("GET", "api/stories", null, ("Host", $"localhost:{port}")));
        var file = Path.Combine(_dir, "mine.json");
        await File.WriteAllTextAsync(file, """{"id":"cli-story","title":"CLI","paragraphs":["Published by the operator."]}""");
        var published = await node.CliAsync("publish", file);
        Assert.True(published.ExitCode == 0, published.Stderr);
        var cancelled = await node.CliAsync("story", "cancel", "cli-story", "--yes");
        Assert.True(cancelled.ExitCode == 0, cancelled.Stderr);
    }

    [Fact]
    public async Task Every_route_family_answers_with_the_security_headers()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{node.Admin}/") };
        var routes = new[] { "", "newsroom", "newsroom/new", "newsroom/login", "newsroom/static/newsroom.js", "newsroom/static/newsroom.css",
            "newsroom/assets/none.png", "videos/none.mp4", "api/stories", "api/node", "api/cluster", "api/drafts", "api/log", "metrics",
            "healthz", "health/live", "health/ready", "no/such/route" };
        foreach (var route in routes)
        {
            using var response = await http.GetAsync(route);
            Headers(response, route);
        }
        using var refused = new HttpRequestMessage(HttpMethod.Post, "api/stories") { Content = JsonBody("{}") };
        refused.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        Headers(await http.SendAsync(refused), "a refused cross-site request");

        static void Headers(HttpResponseMessage r, string route)
        {
            string Get(string name) => r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : "";
            var csp = Get("Content-Security-Policy");
            Assert.True(csp.Contains("script-src 'self'") && !csp.Contains("script-src 'self' 'unsafe-inline'") && csp.Contains("frame-ancestors 'none'"),
                $"/{route}: Content-Security-Policy '{csp}'");
            Assert.True(Get("X-Content-Type-Options") == "nosniff", $"/{route}: X-Content-Type-Options");
            Assert.True(Get("X-Frame-Options") == "DENY", $"/{route}: X-Frame-Options");
            Assert.True(Get("Referrer-Policy") is "same-origin" or "no-referrer", $"/{route}: Referrer-Policy");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_blank_admin_token_is_refused_at_start(string token)
    {
        var r = await Nius.RunAsync(["node", "--data", Path.Combine(_dir, "data"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"], TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["NIUSTV__Node__AdminToken"] = token });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("the admin token is empty or only whitespace", r.Stderr);
    }

    [Fact]
    public async Task Wrong_tokens_are_rate_limited_per_client_and_the_lockout_holds_even_for_the_right_one()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, "rate-limited-token", null);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        async Task<HttpStatusCode> Try(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/stories");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await Try("rate-limited-token"));
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++) answers.Add(await Try($"guess-{i}"));
        Assert.Equal(30, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(30, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Try("rate-limited-token"));
    }

    [Fact]
    public async Task The_wrong_token_limit_and_its_window_follow_the_configuration()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, "limited-token", new Dictionary<string, string> { ["NIUSTV__Node__AdminFailedTokenLimit"] = "5", ["NIUSTV__Node__AdminFailedTokenWindow"] = "10m" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/stories");
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer guess-{i}");
            answers.Add(await http.SendAsync(request));
        }
        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(3, refused.Count);
        Assert.All(refused, r => Assert.Equal("600", r.Headers.GetValues("Retry-After").Single()));
        Assert.Contains("try again in 600 s", await refused[0].Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("NIUSTV__Node__AdminFailedTokenLimit", "0", "Node:AdminFailedTokenLimit: '0' is not a positive number")]
    [InlineData("NIUSTV__Node__AdminFailedTokenLimit", "many", "Node:AdminFailedTokenLimit: 'many' is not a whole number")]
    [InlineData("NIUSTV__Node__AdminFailedTokenWindow", "soon", "Node:AdminFailedTokenWindow: 'soon' is not a duration")]
    [InlineData("NIUSTV__Node__AdminFailedTokenWindow", "0s", "Node:AdminFailedTokenWindow: '0s' is shorter than 1 second")]
    public async Task A_bad_wrong_token_limit_stops_the_node_naming_the_key(string variable, string value, string sentence)
    {
        var r = await Nius.RunAsync(["node", "--data", Path.Combine(_dir, "data"), "--admin", $"127.0.0.1:{LoopbackPorts.Free()}"], TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { [variable] = value });
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(sentence, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public async Task With_an_admin_certificate_the_endpoint_speaks_https_the_cookie_is_secure_and_the_cli_follows()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = Path.Combine(_dir, "admin.pfx");
        var pem = Path.Combine(_dir, "admin.crt");
        await File.WriteAllBytesAsync(pfx, cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx));
        await File.WriteAllTextAsync(pem, cert.ExportCertificatePem());
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));

        var admin = $"127.0.0.1:{LoopbackPorts.Free()}";
        using var process = Nius.Start(["node", "--data", Path.Combine(_dir, "data"), "--out", Path.Combine(_dir, "out"), "--assets",
            Path.Combine(_dir, "assets"), "--admin", admin, "--admin-cert", pfx], environment: new Dictionary<string, string> { ["NIUSTV__Node__AdminToken"] = "tls-token" });
        try
        {
            var cookies = new CookieContainer();
            using var http = new HttpClient(new HttpClientHandler
            {
                CookieContainer = cookies, AllowAutoRedirect = false,
                ServerCertificateCustomValidationCallback = (_, c, _, _) => c is not null && c.Thumbprint == cert.Thumbprint,
            }) { BaseAddress = new Uri($"https://{admin}/"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                using var probe = new HttpRequestMessage(HttpMethod.Get, "healthz");
                probe.Headers.Authorization = new("Bearer", "tls-token");
                try { if ((await http.SendAsync(probe)).IsSuccessStatusCode) break; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                Assert.False(process.HasExited, "the node stopped");
                Assert.True(DateTime.UtcNow < deadline, "the node did not answer over HTTPS within 90 s");
                await Task.Delay(500);
            }

            var form = await (await http.GetAsync("newsroom/login")).Content.ReadAsStringAsync();
            var antiforgery = System.Text.RegularExpressions.Regex.Match(form, "name=\"__antiforgery\" value=\"([^\"]+)\"").Groups[1].Value;
            var login = await http.PostAsync("newsroom/login", new FormUrlEncodedContent([new("token", "tls-token"), new("__antiforgery", antiforgery)]));
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("nius_admin=", StringComparison.Ordinal));
            Assert.Contains("; secure", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/stories")).StatusCode);

            var cli = await Nius.RunAsync(["stories", "--json", "--admin", $"https://{admin}", "--token", "tls-token"],
                environment: new Dictionary<string, string> { ["NIUSTV_ADMIN_CERT"] = pem });
            Assert.True(cli.ExitCode == 0, cli.Stderr);
            Assert.Empty(cli.Json.EnumerateArray());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
