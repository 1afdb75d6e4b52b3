using Microsoft.Playwright;
using NiusTv.Tests.EndToEnd;
using Xunit;

namespace NiusTv.Tests.Newsroom;

/// <summary>What every newsroom browser test starts from: a node of its own (data, output and asset folders in a
/// temporary folder), an HTTP client on its admin endpoint and Debian's chromium driven by Playwright.</summary>
public sealed class NewsroomSession : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>What a headless Chromium needs on these machines: no sandbox as root, and none of the background
    /// connections a closed network refuses (TOOLCHAIN notes).</summary>
    public static readonly string[] ChromiumFlags =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    private IPlaywright _playwright = null!;

    private NewsroomSession(string dir) => Dir = dir;

    /// <summary>The session's temporary folder (assets in <c>assets/</c>).</summary>
    public string Dir { get; }
    public NodeProcess Node { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Root => $"http://{Node.Admin}";

    public static async Task<NewsroomSession> StartAsync(string name)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/setup installs Debian's chromium");
        var session = new NewsroomSession(Directory.CreateTempSubdirectory($"nius-{name}-").FullName);
        Directory.CreateDirectory(Path.Combine(session.Dir, "assets"));
        Directory.CreateDirectory(Screenshots);
        session.Node = await NodeProcess.StartAsync(Path.Combine(session.Dir, "data"), Path.Combine(session.Dir, "out"), Path.Combine(session.Dir, "assets"));
        session.Http = new HttpClient { BaseAddress = new Uri(session.Root + "/"), Timeout = TimeSpan.FromSeconds(60) };
        session._playwright = await Playwright.CreateAsync();
        session.Browser = await session._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ChromiumFlags, Timeout = 60_000,
        });
        return session;
    }

    /// <summary>A page of the given size whose console errors are collected (failed resource loads aside: a poster
    /// not yet rendered is expected).</summary>
    public async Task<(IPage Page, List<string> ConsoleErrors)> NewPageAsync(int width = 1280, int height = 900, float timeoutMs = 30_000)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = width, Height = height } });
        page.SetDefaultTimeout(timeoutMs);
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource")) consoleErrors.Add(m.Text); };
        return (page, consoleErrors);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Http?.Dispose();
        if (Node is not null) await Node.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
