using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NiusTv.Tests.EndToEnd;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Newsroom;

/// <summary>The newsroom's HTTP surface on a real `nius node`: uploads judged by content and size, drafts, videos
/// served with ranges, and the token rule through the login cookie.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class NewsroomHttpTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-newsroom-http-").FullName;
    private string Assets => Path.Combine(_dir, "assets");
    private string Out => Path.Combine(_dir, "out");
    private NodeProcess _node = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Assets);
        _node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Out, Assets);
        _http.BaseAddress = new Uri($"http://{_node.Admin}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static byte[] Png(int w, int h)
    {
        using var bitmap = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.Teal);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task An_image_is_stored_under_a_generated_name_whatever_the_browser_calls_it()
    {
        var first = await _http.PostAsync("/api/uploads/harbour", new ByteArrayContent(Png(320, 180)));
        var second = await _http.PostAsync("/api/uploads/harbour", new ByteArrayContent(Png(200, 200)));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("uploads/harbour/1.png", a.GetProperty("uri").GetString());
        Assert.Equal("uploads/harbour/2.png", b.GetProperty("uri").GetString());
        Assert.Equal(320, a.GetProperty("width").GetInt32());
        Assert.True(File.Exists(Path.Combine(Assets, "uploads", "harbour", "1.png")));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/newsroom/assets/uploads/harbour/2.png")).StatusCode);
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_refused_by_its_content()
    {
        var text = new ByteArrayContent("GIF89a but really text"u8.ToArray());
        text.Headers.ContentType = new MediaTypeHeaderValue("image/png"); // the header lies; the bytes decide
        var r = await _http.PostAsync("/api/uploads/harbour", text);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("not a JPEG, PNG or WebP image", await r.Content.ReadAsStringAsync());

        // Right magic bytes, broken rest: refused now rather than in init minutes later.
        var truncated = Png(64, 64)[..40];
        r = await _http.PostAsync("/api/uploads/harbour", new ByteArrayContent(truncated));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("cannot be decoded", await r.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(Path.Combine(Assets, "uploads", "harbour")) &&
                     Directory.EnumerateFiles(Path.Combine(Assets, "uploads", "harbour")).Any(), "a refused upload leaves no file behind");
    }

    [Fact]
    public async Task An_image_over_50_MB_is_refused_naming_the_limit()
    {
        var big = new byte[50 * 1024 * 1024 + 1];
        big[0] = 0xFF; big[1] = 0xD8; big[2] = 0xFF;
        // Refused from the Content-Length alone: with Expect: 100-continue not a byte of the body is sent.
        var declared = new HttpRequestMessage(HttpMethod.Post, "/api/uploads/harbour") { Content = new ByteArrayContent(big) };
        declared.Headers.ExpectContinue = true;
        var r = await _http.SendAsync(declared);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("larger than 50 MB", await r.Content.ReadAsStringAsync());

        // Without a Content-Length the endpoint counts the bytes itself.
        var streamed = new StreamContent(new MemoryStream(big));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/uploads/harbour") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        r = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("larger than 50 MB", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Uploads_refuse_a_story_id_that_could_name_another_folder()
    {
        var r = await _http.PostAsync("/api/uploads/..%2Fetc", new ByteArrayContent(Png(10, 10)));
        Assert.NotEqual(HttpStatusCode.OK, r.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_dir, "etc")));
    }

    [Fact]
    public async Task A_video_is_served_with_range_requests_so_the_player_can_seek()
    {
        Directory.CreateDirectory(Path.Combine(Out, "videos"));
        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(Out, "videos", "harbour.mp4"), bytes);

        var request = new HttpRequestMessage(HttpMethod.Get, "/videos/harbour.mp4");
        request.Headers.Range = new RangeHeaderValue(1000, 1099);
        var r = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
        Assert.Equal("video/mp4", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes[1000..1100], await r.Content.ReadAsByteArrayAsync());
        Assert.Equal(5000, r.Content.Headers.ContentRange?.Length);

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/videos/harbour.mp4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/videos/other.mp4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/videos/harbour.txt")).StatusCode);
    }

    [Fact]
    public async Task A_renditions_video_is_served_under_its_published_name_and_a_name_publish_never_makes_is_not_found()
    {
        // A 64-character id with a rendition: the longest name publish writes.
        var id = new string('a', 60) + "-bay";
        Directory.CreateDirectory(Path.Combine(Out, "videos"));
        await File.WriteAllBytesAsync(Path.Combine(Out, "videos", $"{id}-portrait.mp4"), [1, 2, 3]);

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync($"/videos/{id}-portrait.mp4")).StatusCode);
        // Not names publish makes: each is a plain 404, never a 500.
        foreach (var name in new[] { "Bad_Name", "BAD", $"{id}-{new string('p', 33)}", new string('a', 99) })
            Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/videos/{name}.mp4")).StatusCode);
    }

    [Fact]
    public async Task A_draft_is_kept_under_the_data_folder_and_listed_without_being_published()
    {
        var draft = """{"id":"half-done","title":"Half done","paragraphs":[""]}""";
        var r = await _http.PutAsync("/api/drafts/half-done", new StringContent(draft, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.True(File.Exists(Path.Combine(_dir, "data", "drafts", "half-done.json")));
        Assert.Contains("Half done", await _http.GetStringAsync("/newsroom"));
        Assert.Contains("Half done", await _http.GetStringAsync("/newsroom/stories/half-done/edit"));
        Assert.Equal("[]", (await _http.GetStringAsync("/api/stories")).Trim());
        Assert.Equal(HttpStatusCode.BadRequest,
            (await _http.PutAsync("/api/drafts/Bad_Id", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task The_events_stream_tells_of_each_persisted_story_event()
    {
        using var stream = await _http.GetStreamAsync("/api/stories/events");
        using var reader = new StreamReader(stream);
        Assert.Equal(": stories", await reader.ReadLineAsync());

        var story = """{"id":"no-pictures","title":"No pictures","paragraphs":["A story told in words alone."]}""";
        var published = await _http.PostAsync("/api/stories", new StringContent(story, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? data = null;
        while (data is null && await reader.ReadLineAsync(cts.Token) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line["data: ".Length..];
        var change = JsonDocument.Parse(data!).RootElement;
        Assert.Equal("no-pictures", change.GetProperty("id").GetString());
        Assert.Equal(1, change.GetProperty("revision").GetInt32());
        Assert.Equal("Accepted", change.GetProperty("event").GetString());
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Error(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task A_lone_surrogate_bad_utf8_or_control_character_is_a_400_naming_the_field_and_stores_nothing()
    {
        var surrogate = await _http.PostAsync("/api/stories", Json("""{"id":"bad-text","title":"bad \ud800 x","paragraphs":["One."]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, surrogate.StatusCode);
        Assert.Equal("title", (await Error(surrogate)).GetProperty("errors")[0].GetProperty("field").GetString());

        var control = await _http.PostAsync("/api/stories", Json("""{"id":"bad-text","title":"T","paragraphs":["ring \u0007 ring"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.Equal("paragraphs[0]", (await Error(control)).GetProperty("errors")[0].GetProperty("field").GetString());

        var bytes = new List<byte>("{\"id\":\"bad-text\",\"title\":\"caf\",\"paragraphs\":[\"One.\"]}"u8.ToArray());
        bytes.Insert(bytes.IndexOf((byte)'f') + 1, 0xE9); // Latin-1 é: not UTF-8
        var latin1 = new ByteArrayContent(bytes.ToArray());
        latin1.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var invalid = await _http.PostAsync("/api/stories", latin1);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("not valid UTF-8", await invalid.Content.ReadAsStringAsync());

        var draftLatin1 = new ByteArrayContent(bytes.ToArray());
        draftLatin1.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PutAsync("/api/drafts/bad-text", draftLatin1)).StatusCode);
        var draftSurrogate = await _http.PutAsync("/api/drafts/bad-text", Json("""{"id":"bad-text","title":"T","paragraphs":["x \udc00"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, draftSurrogate.StatusCode);
        Assert.Equal("paragraphs[0]", (await Error(draftSurrogate)).GetProperty("errors")[0].GetProperty("field").GetString());
        var draftControl = await _http.PutAsync("/api/drafts/bad-text", Json("""{"id":"bad-text","title":"esc \u001b[2J"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, draftControl.StatusCode);
        Assert.Equal("title", (await Error(draftControl)).GetProperty("errors")[0].GetProperty("field").GetString());

        Assert.Equal("[]", (await _http.GetStringAsync("/api/stories")).Trim());
        Assert.False(Directory.Exists(Path.Combine(_dir, "data", "drafts")) && Directory.EnumerateFiles(Path.Combine(_dir, "data", "drafts")).Any());
    }

    /// <summary>A body with no Content-Length, sent in chunks that never end until the server stops reading.</summary>
    private sealed class EndlessChunks(long bytes) : HttpContent
    {
        public long Sent;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = System.Text.Encoding.ASCII.GetBytes("{\"id\":\"big\",\"title\":\"" + new string('x', 64 * 1024 - 25));
            await stream.WriteAsync(chunk);
            Sent += chunk.Length;
            var filler = System.Text.Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
            while (Sent < bytes)
            {
                await stream.WriteAsync(filler);
                Sent += filler.Length;
            }
            await stream.WriteAsync("\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length) { length = -1; return false; }
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_while_it_is_read()
    {
        foreach (var (method, path, what) in new[] { ("PUT", "/api/drafts/big", "draft"), ("POST", "/api/stories", "story") })
        {
            var body = new EndlessChunks(5L << 20);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body };
            request.Headers.TransferEncodingChunked = true;
            HttpResponseMessage? response = null;
            try { response = await _http.SendAsync(request); }
            catch (HttpRequestException) { } // the server may close the connection on the rest of the body: refused too
            if (response is not null)
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Contains($"the {what} is larger than", await response.Content.ReadAsStringAsync());
            }
        }
        Assert.False(File.Exists(Path.Combine(_dir, "data", "drafts", "big.json")), "a 5 MB chunked draft got past the 1 MB limit");
        Assert.Equal("[]", (await _http.GetStringAsync("/api/stories")).Trim());
    }

    [Fact]
    public async Task A_draft_whose_image_paragraph_is_a_string_still_opens_in_the_editor()
    {
        var draft = """{"id":"odd-draft","title":"Odd","paragraphs":["One."],"images":[{"uri":"a.png","caption":"c","paragraph":"first"}],"output":{"width":"wide"}}""";
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync("/api/drafts/odd-draft", Json(draft))).StatusCode);
        var page = await _http.GetAsync("/newsroom/stories/odd-draft/edit");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Odd", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Twenty_parallel_saves_of_one_draft_all_succeed_and_leave_one_whole_draft()
    {
        for (var round = 0; round < 3; round++)
        {
            var saves = Enumerable.Range(0, 20).Select(i => _http.PutAsync("/api/drafts/busy",
                Json($$"""{"id":"busy","title":"Save {{i}}","paragraphs":["{{new string('w', 20_000)}}"]}"""))).ToList();
            var statuses = (await Task.WhenAll(saves)).Select(r => r.StatusCode).ToList();
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        }
        var folder = Path.Combine(_dir, "data", "drafts");
        Assert.Equal(["busy.json"], Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        Assert.StartsWith("Save ", JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "busy.json"))).RootElement.GetProperty("title").GetString());
    }

    /// <summary>A PNG whose header claims <paramref name="w"/>×<paramref name="h"/>: enough for a decoder to read the
    /// size without 1.6 GB of pixels behind it.</summary>
    private static byte[] PngHeader(int w, int h)
    {
        static byte[] Chunk(string type, byte[] data)
        {
            var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            return [.. BigEndian((uint)data.Length), .. typed, .. BigEndian(Crc32(typed))];
        }
        var ihdr = BigEndian((uint)w).Concat(BigEndian((uint)h)).Concat(new byte[] { 8, 0, 0, 0, 0 }).ToArray();
        using var z = new MemoryStream();
        using (var zs = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            zs.Write(new byte[w + 1]); // one row
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", z.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] BigEndian(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public async Task Uploads_are_decoded_whole_with_the_init_limits()
    {
        var huge = await _http.PostAsync("/api/uploads/limits", new ByteArrayContent(PngHeader(20000, 20000)));
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Contains("20000×20000 pixels; neither side may exceed 12000", (await Error(huge)).GetProperty("error").GetString());

        using var bitmap = new SKBitmap(400, 300);
        using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.Orange);
        var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
        var truncated = await _http.PostAsync("/api/uploads/limits", new ByteArrayContent(jpeg[..(jpeg.Length / 2)]));
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);
        Assert.Contains("truncated", (await Error(truncated)).GetProperty("error").GetString());

        Assert.False(Directory.Exists(Path.Combine(Assets, "uploads", "limits")) && Directory.EnumerateFiles(Path.Combine(Assets, "uploads", "limits")).Any());
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("/api/uploads/limits", new ByteArrayContent(jpeg))).StatusCode);
    }

    [Fact]
    public async Task A_fifo_or_symlink_loop_under_the_assets_is_a_named_404_at_once()
    {
        var folder = Path.Combine(Assets, "uploads", "traps");
        Directory.CreateDirectory(folder);
        NiusTv.Tests.Init.TestFiles.MakeFifo(Path.Combine(folder, "pipe.jpg"));
        File.CreateSymbolicLink(Path.Combine(folder, "a.png"), Path.Combine(folder, "b.png"));
        File.CreateSymbolicLink(Path.Combine(folder, "b.png"), Path.Combine(folder, "a.png"));
        using var quick = new HttpClient { BaseAddress = _http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

        var fifo = await quick.GetAsync("/newsroom/assets/uploads/traps/pipe.jpg");
        Assert.Equal(HttpStatusCode.NotFound, fifo.StatusCode);
        Assert.Contains("not a regular file", await fifo.Content.ReadAsStringAsync());
        var loop = await quick.GetAsync("/newsroom/assets/uploads/traps/a.png");
        Assert.Equal(HttpStatusCode.NotFound, loop.StatusCode);
        Assert.Contains("symbolic link loop", await loop.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Node_prints_the_newsroom_address()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_node.Log.Contains($"Newsroom: http://{_node.Admin}/newsroom") && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Contains($"Newsroom: http://{_node.Admin}/newsroom", _node.Log);
    }
}

/// <summary>With an admin token the newsroom asks for it once and keeps it in an HttpOnly cookie, which the API and
/// the video files then accept as they accept the bearer header.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class NewsroomTokenTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-newsroom-token-").FullName;
    private NodeProcess _node = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        _node = await NodeProcess.StartConfiguredAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"),
            null, "s3cret-newsroom", null);
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_page_needs_the_token_and_the_login_cookie_then_opens_page_and_api()
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
            { BaseAddress = new Uri($"http://{_node.Admin}") };

        var page = await http.GetAsync("/newsroom");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/newsroom/login", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/stories")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/no/such/route")).StatusCode); // an unknown path tells nothing either
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/newsroom/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/newsroom/static/newsroom.css")).StatusCode); // the login page's style

        // The form carries an antiforgery token; a post without it (another site's form) is refused before the token is looked at.
        var form = await (await http.GetAsync("/newsroom/login")).Content.ReadAsStringAsync();
        var antiforgery = System.Text.RegularExpressions.Regex.Match(form, "name=\"__antiforgery\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(antiforgery);
        var forged = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "s3cret-newsroom")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain(cookies.GetCookies(http.BaseAddress!), c => c.Name == "nius_admin");

        var wrong = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "guess"), new("__antiforgery", antiforgery)]));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain(cookies.GetCookies(http.BaseAddress!), c => c.Name == "nius_admin");

        var login = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "s3cret-newsroom"), new("__antiforgery", antiforgery)]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("nius_admin=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie.Replace("httponly", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase); // plain http
        // The cookie is a signed, encrypted ticket, not the token: it reveals nothing, and a forged one is worthless.
        var ticket = cookies.GetCookies(http.BaseAddress!)["nius_admin"]!.Value;
        Assert.DoesNotContain("s3cret-newsroom", Uri.UnescapeDataString(ticket));
        using (var forgedCookie = new HttpClient { BaseAddress = http.BaseAddress })
        {
            forgedCookie.DefaultRequestHeaders.Add("Cookie", "nius_admin=s3cret-newsroom");
            Assert.Equal(HttpStatusCode.Unauthorized, (await forgedCookie.GetAsync("/api/stories")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/newsroom")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/stories")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/no/such/route")).StatusCode);
    }

    /// <summary>Logs a cookie-keeping client in through the form, as a browser does.</summary>
    private async Task<HttpClient> LoggedInAsync()
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
            { BaseAddress = new Uri($"http://{_node.Admin}") };
        var form = await http.GetStringAsync("/newsroom/login");
        var field = System.Text.RegularExpressions.Regex.Match(form, "name=\"__antiforgery\" value=\"([^\"]+)\"").Groups[1].Value;
        var login = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "s3cret-newsroom"), new("__antiforgery", field)]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return http;
    }

    private static string PageToken(string html) =>
        System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "<meta name=\"nius-antiforgery\" content=\"([^\"]+)\">").Groups[1].Value);

    private static HttpRequestMessage Change(HttpMethod method, string path, string? json, string? antiforgery)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (antiforgery is not null) request.Headers.Add("X-Nius-Antiforgery", antiforgery);
        return request;
    }

    [Fact]
    public async Task A_change_sent_with_the_login_cookie_needs_the_pages_antiforgery_token_and_the_cli_needs_none()
    {
        using var http = await LoggedInAsync();
        var token = PageToken(await http.GetStringAsync("/newsroom/new"));
        Assert.NotEmpty(token);
        var draft = """{"id":"forged-draft","title":"Forged","paragraphs":["Only the newsroom page may save this."]}""";
        var story = """{"id":"cookie-story","title":"Cookie story","paragraphs":["Published from the newsroom page."]}""";

        foreach (var (method, path, json) in new[] { (HttpMethod.Put, "/api/drafts/forged-draft", draft), (HttpMethod.Post, "/api/stories", story),
                     (HttpMethod.Delete, "/api/drafts/forged-draft", null), (HttpMethod.Post, "/api/cluster/leave", null) })
        foreach (var wrong in new[] { null, "not-the-token" })
        {
            using var refused = await http.SendAsync(Change(method, path, json, wrong));
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} with antiforgery '{wrong}': {refused.StatusCode}");
            Assert.Contains("antiforgery token", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }
        Assert.False(File.Exists(Path.Combine(_dir, "data", "drafts", "forged-draft.json")), "a refused save stores nothing");
        Assert.Equal("[]", (await http.GetStringAsync("/api/stories")).Trim());

        // With the page's token the same requests go through; reads never needed it.
        using (var saved = await http.SendAsync(Change(HttpMethod.Put, "/api/drafts/forged-draft", draft, token)))
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        using (var published = await http.SendAsync(Change(HttpMethod.Post, "/api/stories", story, token)))
            Assert.True(published.IsSuccessStatusCode, $"publishing with the token: {published.StatusCode} {await published.Content.ReadAsStringAsync()}");
        using (var deleted = await http.SendAsync(Change(HttpMethod.Delete, "/api/drafts/forged-draft", null, token)))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        // The CLI and scripts send the bearer token and no cookie: nothing more is asked of them.
        var file = Path.Combine(_dir, "cli-story.json");
        await File.WriteAllTextAsync(file, """{"id":"cli-story","title":"From the CLI","paragraphs":["Published with the bearer token."]}""");
        var cli = await _node.CliAsync("publish", file);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        using var bearer = new HttpClient { BaseAddress = http.BaseAddress };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-newsroom");
        using (var script = await bearer.SendAsync(Change(HttpMethod.Put, "/api/drafts/script-draft", draft.Replace("forged-draft", "script-draft"), null)))
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await http.GetStringAsync("/api/stories")).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task A_logged_in_editor_uploads_saves_and_publishes_in_chromium()
    {
        var image = Path.Combine(_dir, "pier.png");
        PipelineEndToEndTests.WriteImage(image, 640, 360, SKEncodedImageFormat.Png, SKColors.SteelBlue);
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new Microsoft.Playwright.BrowserTypeLaunchOptions
        {
            ExecutablePath = NewsroomSession.Chromium, Headless = true, Args = NewsroomSession.ChromiumFlags, Timeout = 60_000,
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var failed = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) lock (failed) failed.Add($"{r.Request.Method} {new Uri(r.Url).AbsolutePath} {r.Status}"); };

        await page.GotoAsync($"http://{_node.Admin}/newsroom/new");
        await page.WaitForURLAsync("**/newsroom/login");
        await page.FillAsync("input[name=token]", "s3cret-newsroom");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/newsroom");
        await page.GotoAsync($"http://{_node.Admin}/newsroom/new");

        await page.FillAsync("input[name=id]", "pier-story");
        await page.FillAsync("input[name=title]", "The pier reopens");
        await page.FillAsync("#paragraphs textarea", "The pier reopens to walkers on Saturday.");
        await page.Locator("#image-files").SetInputFilesAsync([image]);
        await page.Locator("#images .row").First.WaitForAsync();
        await page.ClickAsync("[data-action=save-draft]");
        await page.Locator("[data-role=status]", new() { HasTextString = "draft saved" }).WaitForAsync();
        Assert.True(File.Exists(Path.Combine(_dir, "data", "drafts", "pier-story.json")));

        await page.ClickAsync("[data-action=publish]");
        await page.WaitForURLAsync("**/newsroom/stories/pier-story");
        Assert.False(File.Exists(Path.Combine(_dir, "data", "drafts", "pier-story.json")), "publishing retires the draft");
        lock (failed) Assert.Empty(failed);

        // The same logged-in browser, sending a change without the page's token, is refused.
        var bare = await page.EvaluateAsync<int>("""
            async () => (await fetch("/api/drafts/pier-story", { method: "PUT", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ id: "pier-story", title: "Forged", paragraphs: [""] }), credentials: "same-origin" })).status
            """);
        Assert.Equal(400, bare);
        Assert.False(File.Exists(Path.Combine(_dir, "data", "drafts", "pier-story.json")));
    }
}
