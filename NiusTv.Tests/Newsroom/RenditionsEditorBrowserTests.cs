using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Newsroom;

/// <summary>The editor's renditions (a story's <c>outputs</c>) in a real browser (Debian's chromium): a story's
/// renditions are listed, edited, added and removed, a refused one is named on its row, and what is published or saved
/// as a draft is exactly what the editor left, nothing dropped.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class RenditionsEditorBrowserTests : IAsyncLifetime
{
    private NewsroomSession _session = null!;

    public async ValueTask InitializeAsync() => _session = await NewsroomSession.StartAsync("renditions-browser");

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private async Task<(IPage Page, List<string> ConsoleErrors)> OpenAsync(string path)
    {
        var (page, consoleErrors) = await _session.NewPageAsync();
        await page.GotoAsync($"http://{_session.Node.Admin}{path}");
        return (page, consoleErrors);
    }

    /// <summary>Each rendition row as "name width×height@fps", as the editor shows it.</summary>
    private static Task<string[]> RowsAsync(IPage page) => page.Locator("#outputs .row").EvaluateAllAsync<string[]>("""
        rows => rows.map(r => { const f = n => r.querySelector(`[data-field="${n}"]`).value; return `${f("name")} ${f("width")}×${f("height")}@${f("fps")}`; })
        """);

    private static string[] Renditions(JsonElement outputs) => outputs.EnumerateArray()
        .Select(r => $"{r.GetProperty("name").GetString()} {r.GetProperty("width").GetInt32()}×{r.GetProperty("height").GetInt32()}@{r.GetProperty("fps").GetInt32()}")
        .ToArray();

    [Fact]
    public async Task An_editor_changes_adds_and_removes_a_storys_renditions_and_publishes_exactly_those()
    {
        const string story = """
            {"id":"ferry-times","title":"Ferry times change","paragraphs":["The ferry leaves earlier from Monday."],
             "outputs":[{"name":"landscape","width":320,"height":180,"fps":25},{"name":"portrait","width":180,"height":320,"fps":30}]}
            """;
        var posted = await _session.Http.PostAsync("api/stories", new StringContent(story, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var (page, consoleErrors) = await OpenAsync("/newsroom/stories/ferry-times/edit");

        // Listed as the story has them; the one-shape picker steps aside.
        Assert.Equal(["landscape 320×180@25", "portrait 180×320@30"], await RowsAsync(page));
        Assert.False(await page.Locator("select[name=shape]").IsVisibleAsync(), "the single shape is hidden while the story has renditions");

        var portrait = page.Locator("#outputs .row").Nth(1);
        await portrait.Locator("[data-field=name]").FillAsync("vertical");
        await portrait.Locator("[data-field=fps]").FillAsync("24");
        // A new rendition starts from the last one's size; given a name already taken, the node refuses it by its path.
        await page.ClickAsync("[data-action=add-output]");
        var added = page.Locator("#outputs .row").Nth(2);
        Assert.Equal("180×320@24", (await RowsAsync(page))[2].Split(' ')[1]);
        await added.Locator("[data-field=name]").FillAsync("landscape");
        await page.ClickAsync("[data-action=publish]");
        var error = added.Locator(".error");
        await error.WaitForAsync(new() { State = WaitForSelectorState.Visible });
        Assert.StartsWith("outputs[2].name: 'landscape' is already the name of outputs[0]", await error.InnerTextAsync());
        Assert.Contains("invalid", await added.Locator("[data-field=name]").GetAttributeAsync("class") ?? "");
        await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, "editor-renditions-error.png"), FullPage = true });

        await added.Locator("[data-field=name]").FillAsync("square");
        await added.Locator("[data-field=width]").FillAsync("240");
        await added.Locator("[data-field=height]").FillAsync("240");
        await page.Locator("#outputs .row").Nth(0).Locator("[data-action=remove]").ClickAsync();
        Assert.Equal(["vertical 180×320@24", "square 240×240@24"], await RowsAsync(page));
        await page.ClickAsync("[data-action=publish]");
        await page.WaitForURLAsync("**/newsroom/stories/ferry-times");

        // The published revision has exactly the renditions the editor left, in its order.
        var view = await _session.Http.GetFromJsonAsync<JsonElement>("api/stories/ferry-times", TestContext.Current.CancellationToken);
        Assert.Equal(2, view.GetProperty("revision").GetInt32());
        Assert.Equal(["vertical 180×320@24", "square 240×240@24"], Renditions(view.GetProperty("renditions")));
        Assert.Contains(view.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() == "compose:square");
        Assert.DoesNotContain(view.GetProperty("steps").EnumerateArray(), s => s.GetProperty("name").GetString() is "compose:landscape" or "compose:portrait");

        // Opened again, the editor shows them. Nothing here needs the video, so the render is stopped.
        await page.GotoAsync($"http://{_session.Node.Admin}/newsroom/stories/ferry-times/edit");
        Assert.Equal(["vertical 180×320@24", "square 240×240@24"], await RowsAsync(page));
        await _session.Http.PostAsync("api/stories/ferry-times/cancel", null, TestContext.Current.CancellationToken);
        Assert.True(consoleErrors.Count == 0, string.Join(" | ", consoleErrors));
    }

    [Fact]
    public async Task The_story_list_fits_the_page_shows_every_step_label_whole_and_says_a_cancelled_story_was_cancelled()
    {
        const string story = """
            {"id":"harbour-regatta-weekend-programme","title":"Harbour regatta weekend: races, road closures and where to watch from the quay",
             "paragraphs":["The regatta starts on Saturday."],
             "outputs":[{"name":"landscape","width":320,"height":180,"fps":25},{"name":"portrait","width":180,"height":320,"fps":25},
                        {"name":"square","width":240,"height":240,"fps":25}]}
            """;
        var posted = await _session.Http.PostAsync("api/stories", new StringContent(story, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        await _session.Http.PostAsync("api/stories/harbour-regatta-weekend-programme/cancel", null, TestContext.Current.CancellationToken);
        foreach (var (width, height) in new[] { (1280, 800), (1024, 768) })
        {
            var (page, _) = await _session.NewPageAsync(width, height);
            await page.GotoAsync($"http://{_session.Node.Admin}/newsroom");
            var row = page.Locator("tr[data-story=harbour-regatta-weekend-programme]");
            await row.WaitForAsync();
            Assert.Equal(11, await row.Locator(".step").CountAsync());
            var clipped = await row.Locator(".step").EvaluateAllAsync<string[]>("steps => steps.filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.textContent)");
            Assert.True(clipped.Length == 0, $"{width}px: clipped step labels: {string.Join(", ", clipped)}");
            var overflow = await page.EvaluateAsync<double>("() => document.querySelector('table.stories').getBoundingClientRect().right - document.querySelector('main').getBoundingClientRect().right");
            Assert.True(overflow <= 1, $"{width}px: the story table runs {overflow:0} px past the page");
            var titleWidth = await row.Locator("td.story").EvaluateAsync<double>("td => td.getBoundingClientRect().width");
            Assert.True(titleWidth >= 150, $"{width}px: the title column is squeezed to {titleWidth:0} px");
            // Cancelled, not "rendered".
            await page.Locator("tr[data-story=harbour-regatta-weekend-programme][data-state=cancelled]").WaitForAsync();
            Assert.Matches(@"^cancelled after \d+\.\d s$", await row.Locator("[data-role=duration]").InnerTextAsync());
            await page.ScreenshotAsync(new() { Path = Path.Combine(NewsroomSession.Screenshots, $"list-renditions-{width}.png") });
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task A_draft_keeps_its_renditions_and_removing_the_last_one_brings_back_the_single_shape()
    {
        var (page, consoleErrors) = await OpenAsync("/newsroom/new");
        await page.FillAsync("input[name=title]", "Bridge closed for repairs");
        await page.FillAsync("#paragraphs textarea", "The old bridge closes for a week.");
        await page.SelectOptionAsync("select[name=shape]", "720x720");

        // The first rendition starts from the story's shape.
        await page.ClickAsync("[data-action=add-output]");
        Assert.Equal([" 720×720@30"], await RowsAsync(page));
        await page.Locator("#outputs .row").Nth(0).Locator("[data-field=name]").FillAsync("square");
        await page.ClickAsync("[data-action=add-output]");
        var wide = page.Locator("#outputs .row").Nth(1);
        await wide.Locator("[data-field=name]").FillAsync("wide");
        await wide.Locator("[data-field=width]").FillAsync("1024");
        await wide.Locator("[data-field=height]").FillAsync("576");
        await wide.Locator("[data-field=fps]").FillAsync("25");
        Assert.False(await page.Locator("select[name=shape]").IsVisibleAsync());

        await page.ClickAsync("[data-action=save-draft]");
        await page.Locator("[data-role=status]", new() { HasTextString = "draft saved" }).WaitForAsync();
        var draft = await _session.Http.GetFromJsonAsync<JsonElement>("api/drafts/bridge-closed-for-repairs", TestContext.Current.CancellationToken);
        Assert.Equal(["square 720×720@30", "wide 1024×576@25"], Renditions(draft.GetProperty("outputs")));
        Assert.False(draft.TryGetProperty("output", out _), "a draft with renditions has no single output");

        // Reopened, the draft shows its renditions as saved.
        await page.GotoAsync($"http://{_session.Node.Admin}/newsroom/stories/bridge-closed-for-repairs/edit");
        Assert.Equal(["square 720×720@30", "wide 1024×576@25"], await RowsAsync(page));

        // Without renditions the story is back to one output, the shape picker's.
        await page.Locator("#outputs .row").Nth(1).Locator("[data-action=remove]").ClickAsync();
        Assert.False(await page.Locator("select[name=shape]").IsVisibleAsync());
        await page.Locator("#outputs .row").Nth(0).Locator("[data-action=remove]").ClickAsync();
        Assert.True(await page.Locator("select[name=shape]").IsVisibleAsync(), "the single shape is back once no rendition is left");
        await page.SelectOptionAsync("select[name=shape]", "576x1024");
        await page.ClickAsync("[data-action=save-draft]");
        await page.Locator("[data-role=status]", new() { HasTextString = "draft saved" }).WaitForAsync();
        draft = await _session.Http.GetFromJsonAsync<JsonElement>("api/drafts/bridge-closed-for-repairs", TestContext.Current.CancellationToken);
        Assert.False(draft.TryGetProperty("outputs", out _), "a draft without renditions sends none");
        Assert.Equal((576, 1024, 30), (draft.GetProperty("output").GetProperty("width").GetInt32(),
            draft.GetProperty("output").GetProperty("height").GetInt32(), draft.GetProperty("output").GetProperty("fps").GetInt32()));
        Assert.True(consoleErrors.Count == 0, string.Join(" | ", consoleErrors));
    }
}
