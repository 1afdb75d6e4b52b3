using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;
using SkiaSharp;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench presenter`: the talking anchor's costs on this machine — dlib landmark detection per
/// reference frame, mouth synthesis, each registered renderer at the anchor slots of 1024×512 and 2048×1024
/// stories, and the anchor segment's encoding.</summary>
public static class PresenterBench
{
    public sealed record Detection(string Presenter, int Width, int Height, int Runs, double MedianMs, double MinMs);

    /// <param name="FramesPerSecond">Null where the stage is not on this node.</param>
    public sealed record Stage(string Name, string Output, int SlotWidth, int SlotHeight, int Frames, double? FramesPerSecond, string? Note = null);

    public sealed record Report(string Machine, int Cores, Detection Detection, IReadOnlyList<Stage> Stages);

    private static readonly (int W, int H, int Fps)[] Outputs = [(1024, 512, 30), (2048, 1024, 60)];

    public static Command Command()
    {
        var presenter = new Option<string>("--presenter") { Description = "presenter profile to measure", DefaultValueFactory = _ => "default" };
        var frames = new Option<int>("--frames") { Description = "frames rendered and encoded per size", DefaultValueFactory = _ => 300 };
        var clipOption = new Option<string?>("--clip") { Description = "talking clip for the footage renderer and the index build (default: the FGNet clip scripts/setup caches, when it is there)" };
        var clipSeconds = new Option<double>("--clip-seconds") { Description = "seconds of the clip indexed (the build time is reported per minute of clip)", DefaultValueFactory = _ => 30 };
        var cmd = new Command("presenter", "landmark detection ms per reference frame; mouth synthesis, rendering (per renderer) and anchor.mkv encoding frames per second at the 1024x512 and 2048x1024 anchor slots; with a clip, its index build time per minute of clip and the footage renderer's frames per second")
            { presenter, frames, clipOption, clipSeconds, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var n = r.GetValue(frames);
            if (n < 10) throw new CliException($"--frames {n}: at least 10 frames are needed for a rate");
            var settings = new NodeSettings();
            var scratch = Directory.CreateTempSubdirectory("nius-bench-presenter-");
            try
            {
                // A fresh cache: the first Reference() call below detects, as a new presenter's first story would.
                var library = new PresenterLibrary(settings.PresentersPath, Path.Combine(scratch.FullName, "cache"),
                    () => new DlibFaceLandmarkDetector(settings.LandmarkModel));
                var name = r.GetValue(presenter)!;
                var reference = library.Reference(name);
                var detection = MeasureDetection(reference, settings.LandmarkModel);
                // Every renderer this node would offer (pix2pixhd only with a configured checkpoint).
                using var models = new NiusTv.Steps.Models.ModelRegistry(NiusTv.Steps.Models.ModelDevice.Cpu);
                var renderers = RenderRegistration.Renderers(NodeSteps.RenderOptions(new Node.Settings.RenderSettings()), models, () => NodeSteps.Presenters(settings));
                if (!json) Console.Error.WriteLine($"bench: detection {detection.MedianMs:0.0} ms per {detection.Width}x{detection.Height} frame");

                var stages = new List<Stage>();
                void Add(Stage s)
                {
                    stages.Add(s);
                    if (!json) Console.Error.WriteLine($"bench: {s.Name} at {s.Output}: {(s.FramesPerSecond is { } f ? $"{f:0.0} fps" : s.Note)}");
                }
                foreach (var (w, h, fps) in Outputs)
                {
                    var (sw, sh) = RenderStep.SlotSize(w, h);
                    var output = $"{w}x{h}";
                    var (mouth, track) = MouthSynthesis(reference, output, sw, sh, n, fps);
                    Add(mouth);
                    foreach (var renderer in renderers.Values.Where(x => x.Name != "footage" || reference.Clip is not null)
                                 .OrderBy(x => x.Name != "warp").ThenBy(x => x.Name, StringComparer.Ordinal))
                        Add(await MeasureRenderer(renderer, reference, track, output, sw, sh, ct));
                    Add(await MeasureEncoding(reference, track, output, sw, sh, scratch.FullName, ct));
                }
                var clip = r.GetValue(clipOption) ?? DemoFranck.ClipPath;
                if (File.Exists(clip)) await MeasureFootage(clip, r.GetValue(clipSeconds), settings, scratch.FullName, n, Add, ct);
                else Add(new Stage("render footage", "-", 0, 0, 0, null, $"no clip: {clip} is missing (scripts/setup fetches it)"));
                var report = new Report(Environment.MachineName, Environment.ProcessorCount, detection, stages);
                if (json) Console.WriteLine(JsonSerializer.Serialize(report, NodeHost.Json));
                else Print(report);
                return 0;
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        });
        return cmd;
    }

    /// <summary>dlib's detector and shape predictor on the reference photo, as the presenter library runs them
    /// (one warm-up, then ten timed runs; the model load is not counted).</summary>
    private static Detection MeasureDetection(PresenterReference reference, string model)
    {
        using var bitmap = SKBitmap.Decode(reference.PhotoPath) ?? throw new CliException($"{reference.PhotoPath} cannot be decoded");
        var rgb = PresenterLibrary.ToRgb(bitmap);
        using var detector = new DlibFaceLandmarkDetector(model);
        detector.Detect(rgb, bitmap.Width, bitmap.Height);
        var times = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var clock = Stopwatch.StartNew();
            if (detector.Detect(rgb, bitmap.Width, bitmap.Height).Count == 0) throw new CliException($"no face found in {reference.PhotoPath}");
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return new Detection(reference.Name, bitmap.Width, bitmap.Height, times.Count, Math.Round(times[times.Count / 2], 2), Math.Round(times[0], 2));
    }

    /// <summary>A spoken-like phone sequence (consonant–vowel syllables of 150–250 ms with a pause every few
    /// syllables) long enough for <paramref name="frames"/> frames: the mouth synthesis's input.</summary>
    private static PhoneTrack Phones(int frames, int fps)
    {
        string[] consonants = ["M", "T", "S", "B", "L", "K", "N", "F", "D", "W", "R", "P"];
        string[] vowels = ["AA", "IY", "AH", "OW", "EH", "UW", "AE", "ER", "AY", "IH"];
        var duration = (double)frames / fps;
        var phones = new List<AlignedPhone>();
        var t = 0.1;
        for (var k = 0; t < duration; k++)
        {
            if (k % 9 == 8) { phones.Add(new AlignedPhone(PhoneTrack.Silence, t, t + 0.25, -1)); t += 0.25; continue; }
            var c = 0.06 + 0.01 * (k % 4);
            var v = 0.09 + 0.02 * (k % 5);
            phones.Add(new AlignedPhone(consonants[k % consonants.Length], t, t + c, -1));
            phones.Add(new AlignedPhone(vowels[k % vowels.Length], t + c, t + c + v, -1));
            t += c + v;
        }
        return new PhoneTrack("bench", duration, [], phones);
    }

    /// <summary>Phones → landmarks.json frames, as the landmarks step computes them (serialization not counted).</summary>
    private static (Stage Stage, LandmarkTrack Track) MouthSynthesis(PresenterReference reference, string output, int sw, int sh, int frames, int fps)
    {
        var phones = Phones(frames, fps);
        var duration = (double)frames / fps;
        LandmarkAnimator.Animate(reference, phones, 1.0, fps, "bench-warmup");
        var clock = Stopwatch.StartNew();
        var track = LandmarkAnimator.Animate(reference, phones, duration, fps, "bench");
        var seconds = clock.Elapsed.TotalSeconds;
        return (new Stage("mouth synthesis", output, sw, sh, track.Frames.Length, Math.Round(track.Frames.Length / seconds, 1)), track);
    }

    /// <summary>Frames drawn per second, nothing done with them: the renderer alone.</summary>
    private static async Task<Stage> MeasureRenderer(IRenderer renderer, PresenterReference reference, LandmarkTrack track,
        string output, int sw, int sh, CancellationToken ct)
    {
        var request = new RenderRequest("bench", StoryPriority.Normal, reference, track with { Frames = track.Frames[..5] }, sw, sh);
        await renderer.RenderAsync(request, _ => ValueTask.CompletedTask, new Progress<double>(), ct); // warm-up: photo decode, mesh
        request = request with { Track = track };
        var count = 0;
        var clock = Stopwatch.StartNew();
        await renderer.RenderAsync(request, _ => { count++; return ValueTask.CompletedTask; }, new Progress<double>(), ct);
        return new Stage($"render {renderer.Name}", output, sw, sh, count, Math.Round(count / clock.Elapsed.TotalSeconds, 1));
    }

    /// <summary>The clip presenter's costs: building its index (dlib on every frame of <paramref name="seconds"/> of
    /// the clip, from a fresh cache) per minute of clip, and the footage renderer at both anchor slots: frames drawn
    /// per second, with the one-off planning and decoding of the needed clip frames reported beside it.</summary>
    private static async Task MeasureFootage(string clip, double seconds, NodeSettings settings, string scratch, int frames,
        Action<Stage> add, CancellationToken ct)
    {
        var root = Directory.CreateDirectory(Path.Combine(scratch, "clip-presenters", "bench-clip")).FullName;
        File.CreateSymbolicLink(Path.Combine(root, "clip" + Path.GetExtension(clip)), Path.GetFullPath(clip));
        File.WriteAllText(Path.Combine(root, "presenter.json"), JsonSerializer.Serialize(new
        {
            name = "bench-clip", clip = "clip" + Path.GetExtension(clip), key = "blue", use = new { from = 0, to = seconds },
        }));
        var library = new PresenterLibrary(Path.GetDirectoryName(root)!, Path.Combine(scratch, "clip-cache"),
            () => new DlibFaceLandmarkDetector(settings.LandmarkModel));
        var clock = Stopwatch.StartNew();
        PresenterReference reference;
        try { reference = library.Reference("bench-clip"); }
        catch (NiusTv.Steps.StepFailure e) { throw new CliException(e.Message); }
        var indexSeconds = clock.Elapsed.TotalSeconds;
        var index = reference.Clip!.Analysis.Index;
        var clipMinutes = index.Count / index.Fps / 60;
        add(new Stage("index clip", $"{index.Width}x{index.Height}", index.Width, index.Height, index.Count, Math.Round(index.Count / indexSeconds, 1),
            $"{indexSeconds / clipMinutes:0.0} s per minute of clip ({indexSeconds:0.0} s for {index.Count / index.Fps:0} s)"));
        var renderer = new NiusTv.Steps.Render.Footage.FootageRenderer();
        foreach (var (w, h, fps) in Outputs)
        {
            var (sw, sh) = RenderStep.SlotSize(w, h);
            var track = LandmarkAnimator.Animate(reference, Phones(frames, fps), (double)frames / fps, fps, "bench");
            var request = new RenderRequest("bench", StoryPriority.Normal, reference, track, sw, sh);
            clock.Restart();
            using var session = renderer.Open(request, ct);
            var prepare = clock.Elapsed.TotalSeconds;
            clock.Restart();
            for (int k = 0; k < track.Frames.Length; k++) session.Draw(k);
            var draw = clock.Elapsed.TotalSeconds;
            add(new Stage("render footage", $"{w}x{h}", sw, sh, track.Frames.Length, Math.Round(track.Frames.Length / draw, 1),
                $"keyed; plan and decode {prepare:0.00} s once per story; {track.Frames.Length / (prepare + draw):0} fps with it"));
        }
        await Task.CompletedTask;
    }

    /// <summary>Frames per second through the anchor encoder alone (frames rendered beforehand, written from
    /// memory in a loop), then the size of the segment per second of video.</summary>
    private static async Task<Stage> MeasureEncoding(PresenterReference reference, LandmarkTrack track, string output, int sw, int sh,
        string scratch, CancellationToken ct)
    {
        var frames = new List<byte[]>();
        var warp = new NiusTv.Steps.Render.Warp.WarpRenderer();
        var sample = track with { Frames = track.Frames[..Math.Min(track.Frames.Length, track.Fps)] };
        await warp.RenderAsync(new RenderRequest("bench", StoryPriority.Normal, reference, sample, sw, sh),
            f => { frames.Add(f.ToArray()); return ValueTask.CompletedTask; }, new Progress<double>(), ct);
        var path = Path.Combine(scratch, $"anchor-{sw}x{sh}.mkv");
        var encoding = new AnchorEncoding();
        var clock = Stopwatch.StartNew();
        await using (var encoder = new AnchorEncoder(path, sw, sh, track.Fps, encoding))
        {
            for (var i = 0; i < track.Frames.Length; i++) await encoder.WriteAsync(frames[i % frames.Count], ct);
            await encoder.CompleteAsync(ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var kbPerSecond = new FileInfo(path).Length / 1024.0 / ((double)track.Frames.Length / track.Fps);
        return new Stage("encode anchor.mkv", output, sw, sh, track.Frames.Length, Math.Round(track.Frames.Length / seconds, 1),
            $"{encoding.Codec} {encoding.Preset} qp {encoding.Qp} {encoding.PixelFormat}, {kbPerSecond:0} KB per second of video");
    }

    private static void Print(Report report)
    {
        var d = report.Detection;
        Console.WriteLine($"landmark detection (dlib, {d.Width}x{d.Height} reference of '{d.Presenter}'): {d.MedianMs:0.0} ms median, {d.MinMs:0.0} ms best of {d.Runs}");
        var table = new Table().AddColumns("stage", "output", "slot", "frames", "fps", "note");
        foreach (var s in report.Stages)
            table.AddRow(Markup.Escape(s.Name), s.Output, $"{s.SlotWidth}x{s.SlotHeight}", s.Frames.ToString(),
                s.FramesPerSecond is { } f ? f.ToString("0.0") : "-", Markup.Escape(s.Note ?? ""));
        AnsiConsole.Write(table);
        Console.WriteLine($"{report.Cores} cores ({report.Machine})");
    }
}
