using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps;
using NiusTv.Steps.Init;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Compose;

/// <summary>A throwaway workspace with what init and speech would have left: images of awkward aspect
/// ratios, a tone as speech.wav, timings for two paragraphs, images.json.</summary>
internal sealed class SyntheticWorkspace : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "nius-compose-test-" + Guid.NewGuid().ToString("N"));
    public double WavSeconds { get; private set; }
    public Story Story { get; private set; }

    /// <summary>Another story over the same workspace (a different captions choice, say).</summary>
    public void SetStory(Story story) => Story = story;

    public static readonly string[] Paragraphs =
    [
        "Dr. Smith said on Monday that the city will spend $5 million by 2027.",
        "The plan covers twelve new schools, a hospital and the old harbour bridge.",
    ];

    // What Festival would say for the paragraphs above (lowercase, expansions, no punctuation).
    public static readonly string[][] Spoken =
    [
        ["doctor", "smith", "said", "on", "monday", "that", "the", "city", "will", "spend", "five", "million", "dollars", "by", "twenty", "twenty", "seven"],
        ["the", "plan", "covers", "twelve", "new", "schools", "a", "hospital", "and", "the", "old", "harbour", "bridge"],
    ];

    public SyntheticWorkspace(int width, int height, int fps, double wavSeconds = 3.0, string? title = null)
    {
        Directory.CreateDirectory(Path.Combine(Dir, "images"));
        WavSeconds = wavSeconds;
        var images = new List<ImageManifestEntry>
        {
            WriteImage(0, 640, 480, SKEncodedImageFormat.Jpeg, "A 4:3 photo of the city hall", 0),
            WriteImage(1, 1800, 240, SKEncodedImageFormat.Png, "A panorama of the harbour, very wide", 0),
            WriteImage(2, 240, 1100, SKEncodedImageFormat.Jpeg, null, 1),
            WriteImage(3, 1280, 720, SKEncodedImageFormat.Jpeg, "The old harbour bridge at dusk", 1),
        };
        new ImageManifest(images).Save(Path.Combine(Dir, NiusTv.Steps.Artifacts.ImageManifest.Name));
        WriteTone(Path.Combine(Dir, "speech.wav"), wavSeconds, 32000);
        BuildTimings(wavSeconds).Save(Path.Combine(Dir, NiusTv.Steps.Artifacts.Timings.Name));
        Story = new Story("test-story", title ?? "City to spend $5 million on schools and the harbour bridge by 2027",
            Paragraphs, images.Select(i => new StoryImage(i.Uri, i.Caption, i.Paragraph)).ToList(),
            "anna", "slt", StoryPriority.Normal, new StoryOutput(width, height, fps));
    }

    /// <summary>After speech.wav was replaced (real speech): timings spread over its length instead.</summary>
    public void RetimeTo(double seconds)
    {
        WavSeconds = seconds;
        BuildTimings(seconds).Save(Path.Combine(Dir, NiusTv.Steps.Artifacts.Timings.Name));
    }

    public StepInput Input() => new(Story, 1, Dir, new Dictionary<string, string>
    {
        [NiusTv.Steps.Artifacts.ImageManifest.Name] = NiusTv.Steps.Artifacts.ImageManifest.Name,
        [NiusTv.Steps.Artifacts.Timings.Name] = NiusTv.Steps.Artifacts.Timings.Name,
        ["speech.wav"] = "speech.wav",
    });

    public static SpeechTimings BuildTimings(double seconds)
    {
        // Two spans with a pause between, each word an equal share of its span.
        var spans = new[] { new ParagraphSpan(0, 0.10, seconds * 0.48), new ParagraphSpan(1, seconds * 0.55, seconds - 0.10) };
        var words = new List<TimedWord>();
        for (var p = 0; p < 2; p++)
        {
            var step = (spans[p].End - spans[p].Start) / Spoken[p].Length;
            for (var n = 0; n < Spoken[p].Length; n++)
                words.Add(new TimedWord(Spoken[p][n], spans[p].Start + n * step, spans[p].Start + (n + 0.9) * step, p));
        }
        return new SpeechTimings("test", 32000, seconds, spans, words, []);
    }

    private ImageManifestEntry WriteImage(int index, int w, int h, SKEncodedImageFormat format, string? caption, int paragraph)
    {
        var ext = format == SKEncodedImageFormat.Png ? "png" : "jpg";
        var rel = $"images/{index:00}.{ext}";
        using (var surface = SKSurface.Create(new SKImageInfo(w, h)))
        {
            var c = surface.Canvas;
            var hue = index * 80f;
            using var paint = new SKPaint { IsAntialias = true };
            paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(w, h),
                [SKColor.FromHsv(hue, 60, 85), SKColor.FromHsv(hue + 40, 80, 35)], null, SKShaderTileMode.Clamp);
            c.DrawRect(0, 0, w, h, paint);
            paint.Shader = null;
            paint.Color = SKColors.White.WithAlpha(200);
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeWidth = Math.Max(2, Math.Min(w, h) / 40f);
            c.DrawRect(paint.StrokeWidth, paint.StrokeWidth, w - 2 * paint.StrokeWidth, h - 2 * paint.StrokeWidth, paint);
            c.DrawCircle(w / 2f, h / 2f, Math.Min(w, h) / 3f, paint);
            c.DrawLine(0, 0, w, h, paint);
            c.DrawLine(w, 0, 0, h, paint);
            using var image = surface.Snapshot();
            using var data = image.Encode(format, 90);
            using var file = File.Create(Path.Combine(Dir, rel));
            data.SaveTo(file);
        }
        var fmt = format == SKEncodedImageFormat.Png ? "png" : "jpeg";
        return new ImageManifestEntry(index, rel, $"https://example.org/{index}.{ext}", w, h, fmt, caption, paragraph);
    }

    public static void WriteTone(string path, double seconds, int rate, double amplitude = 8000)
    {
        var samples = (int)Math.Round(seconds * rate);
        using var w = new BinaryWriter(File.Create(path));
        w.Write("RIFF"u8); w.Write(36 + samples * 2); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16); w.Write((short)1); w.Write((short)1); w.Write(rate); w.Write(rate * 2); w.Write((short)2); w.Write((short)16);
        w.Write("data"u8); w.Write(samples * 2);
        for (var n = 0; n < samples; n++) w.Write((short)(Math.Sin(2 * Math.PI * 440 * n / rate) * amplitude));
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

internal static class FrameGrab
{
    /// <summary>Extracts the frame at <paramref name="seconds"/> as PNG (for looking at, and decoding checks).</summary>
    public static void ExtractFrame(string video, double seconds, string png)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y", "-ss", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", video, "-frames:v", "1", png })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ffmpeg frame extract failed: {err}");
    }
}
