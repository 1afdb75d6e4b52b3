using System.Diagnostics;
using System.Globalization;
using NiusTv.Steps.Compose;
using Xunit;

namespace NiusTv.Tests.Compose;

/// <summary>Titles that fit every shape, read back by real OCR (Debian's tesseract-ocr) from a frame of the
/// composed MP4: the lower third of a 120-character title in 16:9, 9:16, 1:1, 4:5 and 2:1 (the local default). The last word being read
/// is what proves the title was not cut ("Harbour expansion clears fi…" was today's 9:16).</summary>
[Trait("Speed", "Slow")]
public sealed class TitleOcrTests
{
    /// <summary>120 characters, the longest title the lower third promises to show whole.</summary>
    public const string LongTitle = "Harbour expansion clears its final planning hurdle as councillors back new ferry berths, wider quays and public walkways";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Frames { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "title-frames");

    [Theory]
    [InlineData(1024, 512, "2x1")]
    [InlineData(1024, 576, "16x9")]
    [InlineData(576, 1024, "9x16")]
    [InlineData(720, 720, "1x1")]
    [InlineData(720, 900, "4x5")]
    public async Task Tesseract_reads_a_120_character_title_whole_from_the_lower_third(int width, int height, string shape)
    {
        Assert.Equal(120, LongTitle.Length);
        using var ws = new SyntheticWorkspace(width, height, 24, wavSeconds: 1.5, title: LongTitle);
        var options = new ComposeOptions();
        await new ComposeStep(options).RunAsync(ws.Input(), new Progress<double>(), Ct);

        Directory.CreateDirectory(Frames);
        var frame = Path.Combine(Frames, $"{shape}-frame.png");
        var band = Path.Combine(Frames, $"{shape}-lower-third.png");
        FrameGrab.ExtractFrame(Path.Combine(ws.Dir, NiusTv.Steps.Artifacts.Video.Name), options.TitleCardSeconds + 0.3, frame);
        var l = new StoryLayout(width, height).LowerThird;
        // (0.3 s in: the first picture, whose caption line sits under the title.)
        // The lower third alone, twice the size (tesseract reads text of 20–40 px best).
        Run("ffmpeg", "-v", "error", "-y", "-i", frame, "-vf", $"crop={l.Width}:{l.Height}:{l.Left}:{l.Top},scale=iw*2:ih*2:flags=lanczos", band);
        var text = Run("tesseract", band, "-", "--psm", "6");

        var read = Words(text);
        var title = Words(LongTitle);
        var found = title.Count(w => read.Any(r => Close(w, r)));
        Assert.True(found >= title.Count * 0.9, $"{shape}: tesseract read {found} of {title.Count} title words: '{text.Trim()}'");
        Assert.Contains(title[^1], read);
        Assert.Contains(title[0], read);
        Assert.DoesNotContain("…", text);
    }

    private static List<string> Words(string s) =>
        s.ToLowerInvariant().Split(s.Where(c => !char.IsLetterOrDigit(c)).Distinct().ToArray(), StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Equal, or one edit apart for words of five letters or more (OCR noise such as "quays" → "quavs").</summary>
    private static bool Close(string a, string b)
    {
        if (a == b) return true;
        if (a.Length < 5 || Math.Abs(a.Length - b.Length) > 1) return false;
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length] <= 1;
    }

    private static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} failed (is it installed? scripts/setup): {err}");
        return stdout.Result;
    }
}
