using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using NiusTv.Tests.EndToEnd;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Newsroom;

/// <summary>An editor's whole path in a real browser (Debian's chromium, driven by Playwright): an empty form, two
/// uploaded images, a field error, publish, the progress bar to done, the video playing, a second revision.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class NewsroomBrowserTests : IAsyncLifetime
{
    private NewsroomSession _session = null!;

    public async ValueTask InitializeAsync() => _session = await NewsroomSession.StartAsync("newsroom-browser");

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private string WriteImage(string name, int w, int h, SKEncodedImageFormat format, SKColor color)
    {
        var path = Path.Combine(_session.Dir, name);
        PipelineEndToEndTests.WriteImage(path, w, h, format, color);
        return path;
    }

    [Fact]
    public async Task An_editor_goes_from_an_empty_form_to_a_watched_video()
    {
        var harbour = WriteImage("harbour photo.jpg", 1280, 720, SKEncodedImageFormat.Jpeg, SKColors.SteelBlue);
        var ferry = WriteImage("ferry.png", 800, 800, SKEncodedImageFormat.Png, SKColors.DarkOrange);
        var context = await _session.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var consoleErrors = new List<string>();
        var failedRequests = new List<string>();
        // Failed loads are checked by request below; every other console error is a script fault.
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource")) consoleErrors.Add(m.Text); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (failedRequests) failedRequests.Add($"{r.Request.Method} {new Uri(r.Url).AbsolutePath} {r.Status}"); };
        var root = $"http://{_session.Node.Admin}";

        await page.GotoAsync(root + "/newsroom");
        Assert.Contains("No stories yet", await page.InnerTextAsync("main"));
        await page.ClickAsync("header >> text=New story");
        await page.WaitForURLAsync("**/newsroom/new");

        // The id first: uploads are stored under it. The title stays empty for now, to see its error.
        await page.FillAsync("input[name=id]", "harbour-ferry");
        await page.Locator("#image-files").SetInputFilesAsync([harbour, ferry]);
        await page.Locator("#images .row").Nth(1).WaitForAsync();
        Assert.Equal(["uploads/harbour-ferry/1.jpg", "uploads/harbour-ferry/2.png"],
            await page.Locator("#images .row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.uri)"));
        await page.FillAsync("#paragraphs textarea", "The harbour ferry returns to service on Monday after a month of repairs.");
        await page.ClickAsync("[data-action=add-paragraph]");
        await page.Locator("#paragraphs textarea").Nth(1).FillAsync("Commuters can buy tickets at the pier from seven in the morning.");
        await page.Locator("#images .row").Nth(1).Locator("[data-field=paragraph]").FillAsync("2");
        await page.Locator("#images .row").Nth(0).Locator("[data-field=caption]").FillAsync("The ferry at the pier");
        await page.SelectOptionAsync("select[name=shape]", "1024x576");

        await page.ClickAsync("[data-action=publish]");
        var titleError = page.Locator("[data-error-for=title]");
        await titleError.WaitForAsync(new() { State = WaitForSelectorState.Visible });
        Assert.Contains("title", (await titleError.InnerTextAsync()) + " title", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("invalid", await page.GetAttributeAsync("input[name=title]", "class") ?? "");
        await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, "editor-field-error.png"), FullPage = true });

        await page.FillAsync("input[name=title]", "Harbour ferry back in service");
        await page.ClickAsync("[data-action=save-draft]");
        await page.Locator("[data-role=status]", new() { HasTextString = "draft saved" }).WaitForAsync();
        Assert.True(File.Exists(Path.Combine(_session.Dir, "data", "drafts", "harbour-ferry.json")));
        Assert.Equal("[]", (await new HttpClient().GetStringAsync(root + "/api/stories")).Trim());

        await page.ClickAsync("[data-action=publish]");
        await page.WaitForURLAsync("**/newsroom/stories/harbour-ferry");
        Assert.False(File.Exists(Path.Combine(_session.Dir, "data", "drafts", "harbour-ferry.json")), "publishing retires the draft");

        // The page follows the story live and shows the video once done; every step's bar then reads full.
        await page.WaitForSelectorAsync("video", new() { Timeout = 240_000 });
        var widths = await page.Locator(".steps .step .fill").EvaluateAllAsync<string[]>("fills => fills.map(f => f.style.width)");
        Assert.NotEmpty(widths);
        Assert.All(widths, w => Assert.Equal("100%", w));
        Assert.Contains("The video shows revision 1", await page.InnerTextAsync("figure.watch"));

        var played = await page.EvaluateAsync<double[]>("""
            async () => {
              const v = document.querySelector("video");
              v.muted = true;
              await v.play();
              const start = v.currentTime;
              await new Promise(r => setTimeout(r, 1500));
              return [v.readyState, start, v.currentTime, v.duration];
            }
            """);
        Assert.True(played[0] >= 2, $"readyState {played[0]}");
        Assert.True(played[2] > played[1], $"currentTime did not advance: {played[1]} → {played[2]}");
        await page.EvaluateAsync("() => document.querySelector('video').pause()");

        // The captions published beside the video (captions defaults to "both") are the player's track: the browser
        // loads and parses the WebVTT itself, and its cues hold the story's words.
        Assert.Equal("/videos/harbour-ferry.vtt?r=1", await page.GetAttributeAsync("video track[kind=captions]", "src"));
        var track = await page.EvaluateAsync<string[]>("""
            async () => {
              const el = document.querySelector("video track");
              el.track.mode = "showing";
              if (el.readyState !== 2) await new Promise((ok, fail) => { el.addEventListener("load", ok); el.addEventListener("error", () => fail(new Error("the track did not load"))); });
              const cues = [...el.track.cues];
              return [String(el.readyState), String(cues.length), cues.map(c => c.text).join(" "), String(cues[0].startTime), String(cues[cues.length - 1].endTime)];
            }
            """);
        Assert.Equal("2", track[0]);
        Assert.True(int.Parse(track[1]) >= 2, $"{track[1]} cues");
        Assert.Contains("The harbour ferry returns to service", track[2].Replace('\n', ' '));
        Assert.Contains("seven in the morning.", track[2].Replace('\n', ' '));
        Assert.True(double.Parse(track[4], System.Globalization.CultureInfo.InvariantCulture) <= played[3] + 0.001, $"the last cue ends at {track[4]} s, after the video ({played[3]} s)");
        Assert.Equal("harbour-ferry.mp4", await page.GetAttributeAsync("figure.watch a[download]", "download"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, "story-watch.png"), FullPage = true });

        using (var http = new HttpClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Get, root + "/videos/harbour-ferry.mp4");
            request.Headers.Range = new RangeHeaderValue(0, 1023);
            var r = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
            Assert.Equal(1024, (await r.Content.ReadAsByteArrayAsync()).Length);
        }

        await page.GotoAsync(root + "/newsroom");
        var row = page.Locator("tr[data-story=harbour-ferry]");
        Assert.Equal("completed", await row.Locator("[data-role=state]").InnerTextAsync());
        Assert.True(await row.Locator("img.poster").EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"), "the poster loads");
        await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, "story-list.png"), FullPage = true });
        await page.ClickAsync("a[href='/newsroom?state=failed']");
        Assert.Contains("No failed stories", await page.InnerTextAsync("main"));

        // Revise: the editor opens the published story; publishing again makes revision 2.
        await page.GotoAsync(root + "/newsroom/stories/harbour-ferry/edit");
        Assert.Equal("Harbour ferry back in service", await page.InputValueAsync("input[name=title]"));
        Assert.Equal("both", await page.InputValueAsync("select[name=captions]"));
        Assert.Contains("Publishing again makes revision 2", await page.InnerTextAsync("main"));
        Assert.Equal(0, await page.Locator("#pronunciations .row").CountAsync());
        Assert.True(await page.Locator("[data-action=check-words]").IsVisibleAsync(), "the pronunciation panel is offered");
        await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, "editor.png"), FullPage = true });
        await page.FillAsync("input[name=title]", "Harbour ferry back in service from Monday");
        await page.ClickAsync("[data-action=publish]");
        await page.WaitForURLAsync("**/newsroom/stories/harbour-ferry");
        Assert.Contains("revision 2", await page.InnerTextAsync("[data-role=revision]"));

        Assert.True(consoleErrors.Count == 0, string.Join("\n", consoleErrors));
        // The one refusal the editor met on purpose: publishing without a title.
        Assert.Equal(["POST /api/stories 400"], failedRequests);
    }
}
