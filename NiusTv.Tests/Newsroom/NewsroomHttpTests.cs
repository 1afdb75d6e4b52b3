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
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/newsroom/login")).StatusCode);

        var wrong = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "guess")]));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Empty(cookies.GetCookies(http.BaseAddress!));

        var login = await http.PostAsync("/newsroom/login", new FormUrlEncodedContent([new("token", "s3cret-newsroom")]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/newsroom")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/stories")).StatusCode);
    }
}
