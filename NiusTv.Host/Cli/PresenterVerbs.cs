using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render.Footage;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius presenter add NAME --clip FILE …` (a presenter made from a talking clip: the clip is copied into the
/// presenters folder, the manifest written, the index built and its coverage reported) and `nius presenter show
/// NAME` (the same report from the cached index).</summary>
public static class PresenterVerbs
{
    private static readonly JsonSerializerOptions Manifest = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Command Presenter()
    {
        var presenter = new Command("presenter", "presenter profiles: add one made from a talking clip, show what a clip covers");
        presenter.Add(Add());
        presenter.Add(Show());
        return presenter;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "presenter name: 1-64 lowercase letters, digits or '-'" };
        var clip = new Option<string>("--clip") { Description = "video of the presenter talking (copied into the presenter's folder; its audio is not used)", Required = true };
        var key = new Option<string?>("--key") { Description = "chroma key of the clip's screen: blue, green or #RRGGBB" };
        var tolerance = new Option<double?>("--key-tolerance") { Description = $"how far from the key colour still counts as screen, 0-1 (default {ChromaKeySpec.DefaultTolerance})" };
        var backdrop = new Option<string?>("--backdrop") { Description = "image shown behind a keyed presenter (copied into the folder)" };
        var from = new Option<double?>("--from") { Description = "use the clip from this second" };
        var to = new Option<double?>("--to") { Description = "use the clip up to this second" };
        var cmd = new Command("add", "add a presenter made from a talking clip: copies it, writes presenter.json, builds the index (dlib's 68 points on every frame) and reports what the clip covers and lacks")
            { name, clip, key, tolerance, backdrop, from, to, CommonOptions.Config, CommonOptions.Data, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            var settings = CommonOptions.NodeSettings(r);
            var json = r.GetValue(CommonOptions.Json);
            var presenterName = r.GetValue(name)!;
            var clipFile = r.GetValue(clip)!;
            if (!File.Exists(clipFile)) throw new CliException($"--clip: the file '{clipFile}' does not exist", 2);
            if (r.GetValue(key) is { } k && ChromaKeySpec.TryParse(k, r.GetValue(tolerance), out var keyError) is null)
                throw new CliException($"--key: {keyError}", 2);
            if (r.GetValue(backdrop) is { } bd && !File.Exists(bd)) throw new CliException($"--backdrop: the file '{bd}' does not exist", 2);
            var (f, t) = (r.GetValue(from), r.GetValue(to));
            if (f is < 0 || t is { } end && end <= (f ?? 0)) throw new CliException("--from/--to: need 0 ≤ from < to", 2);

            var folder = Path.Combine(settings.PresentersPath, presenterName);
            var created = !Directory.Exists(folder);
            Directory.CreateDirectory(folder);
            try
            {
                var clipName = Path.GetFileName(clipFile);
                var clipTarget = Path.Combine(folder, clipName);
                if (Path.GetFullPath(clipFile) != Path.GetFullPath(clipTarget)) File.Copy(clipFile, clipTarget, overwrite: true);
                string? backdropName = null;
                if (r.GetValue(backdrop) is { } backdropFile)
                {
                    backdropName = Path.GetFileName(backdropFile);
                    var target = Path.Combine(folder, backdropName);
                    if (Path.GetFullPath(backdropFile) != Path.GetFullPath(target)) File.Copy(backdropFile, target, overwrite: true);
                }
                var manifest = new PresenterManifest(presenterName, null, new PresenterFraming(), "see presenters/README.md")
                {
                    Clip = clipName, Key = r.GetValue(key)?.ToLowerInvariant(), KeyTolerance = r.GetValue(tolerance), Backdrop = backdropName,
                    Use = f is null && t is null ? null : new ClipRange(f ?? 0, t),
                };
                File.WriteAllText(Path.Combine(folder, "presenter.json"), JsonSerializer.Serialize(manifest, Manifest));
                var clock = Stopwatch.StartNew();
                var reference = Build(settings, presenterName, json);
                Print(presenterName, reference, clock.Elapsed.TotalSeconds, json);
                return 0;
            }
            catch (Exception e) when (e is StepFailure or IOException)
            {
                if (created) { try { Directory.Delete(folder, recursive: true); } catch (IOException) { } }
                throw new CliException(e.Message);
            }
        });
        return cmd;
    }

    private static Command Show()
    {
        var name = new Argument<string>("NAME") { Description = "presenter name" };
        var cmd = new Command("show", "what a presenter is made of; for a clip presenter, the coverage report of its index (built first if needed)")
            { name, CommonOptions.Config, CommonOptions.Data, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            var settings = CommonOptions.NodeSettings(r);
            var json = r.GetValue(CommonOptions.Json);
            var presenterName = r.GetValue(name)!;
            try
            {
                var clock = Stopwatch.StartNew();
                var reference = Build(settings, presenterName, json);
                Print(presenterName, reference, clock.Elapsed.TotalSeconds, json);
                return 0;
            }
            catch (StepFailure e) { throw new CliException(e.Message); }
        });
        return cmd;
    }

    /// <summary>Loads the presenter, building a clip's index with a progress bar on a terminal (stderr), lines on
    /// stderr otherwise.</summary>
    private static PresenterReference Build(Node.NodeSettings settings, string name, bool json)
    {
        var library = new PresenterLibrary(settings.PresentersPath, settings.PresenterCachePath,
            () => new DlibFaceLandmarkDetector(settings.LandmarkModel));
        if (!library.IsClip(name) || library.IsCached(name)) return library.Reference(name);
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!json && err.Profile.Capabilities.Interactive)
        {
            PresenterReference? result = null;
            err.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"indexing {Markup.Escape(name)} (dlib, every frame)", maxValue: 1);
                    result = library.Reference(name, new Inline<(int Done, int Total)>(p =>
                    {
                        task.MaxValue = p.Total;
                        task.Value = p.Done;
                    }));
                    task.Value = task.MaxValue;
                });
            return result!;
        }
        var lastShown = -1;
        return library.Reference(name, new Inline<(int Done, int Total)>(p =>
        {
            var percent = 100 * p.Done / Math.Max(1, p.Total);
            if (percent / 10 == lastShown / 10 && percent != 100) return;
            lastShown = percent;
            Console.Error.WriteLine($"indexing {name}: {p.Done}/{p.Total} frames ({percent}%)");
        }));
    }

    private static void Print(string name, PresenterReference reference, double seconds, bool json)
    {
        if (reference.Clip is not { } clip)
        {
            if (json) Console.WriteLine(JsonSerializer.Serialize(new { name, kind = "photo", photo = reference.PhotoPath, width = reference.Width, height = reference.Height }, Manifest));
            else Console.WriteLine($"{name}: photo presenter, {reference.PhotoPath} ({reference.Width}x{reference.Height}), face found");
            return;
        }
        var report = clip.Analysis.Report();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                name, kind = "clip", clip = clip.ClipPath, width = clip.Info.Width, height = clip.Info.Height, fps = clip.Info.Fps,
                key = clip.Key?.Colour, backdrop = clip.BackdropPath, seconds = Math.Round(seconds, 2), report,
            }, Manifest));
            return;
        }
        var c = report;
        Console.WriteLine($"{name}: clip {clip.ClipPath} ({clip.Info.Width}x{clip.Info.Height}, {clip.Info.Fps:0.##} fps, {c.Seconds:0.0} s used)" +
            (clip.Key is { } k ? $", keyed {k.Colour}" : "") + (clip.BackdropPath is { } b ? $" over {Path.GetFileName(b)}" : ""));
        Console.WriteLine($"  frames with a face: {c.FramesWithFace} of {c.Frames} ({c.FacePercent:0.0}%), usable {c.UsableFrames}");
        Console.WriteLine($"  head pose spread (std, 5th-95th pct): nose x {c.NoseX.Std:0.0} px ({c.NoseX.P5:0}-{c.NoseX.P95:0}), " +
            $"nose y {c.NoseY.Std:0.0} px ({c.NoseY.P5:0}-{c.NoseY.P95:0}), roll {c.RollDegrees.Std:0.0}° ({c.RollDegrees.P5:0.0}-{c.RollDegrees.P95:0.0}), " +
            $"yaw {c.Yaw.Std:0.000} ({c.Yaw.P5:0.000}-{c.Yaw.P95:0.000}) and pitch {c.Pitch.Std:0.000} ({c.Pitch.P5:0.000}-{c.Pitch.P95:0.000}) nose offsets in eye distances");
        Console.WriteLine($"  mouth opening (inner lips / face height): {c.Opening.P5:0.000}-{c.Opening.P95:0.000} (5th-95th pct); width: {c.Width.P5:0.000}-{c.Width.P95:0.000}");
        Console.WriteLine($"  base frames: a calm stretch of {c.BaseSeconds:0.0} s from {c.BaseFrom:0.00} s, played forwards and backwards");
        Console.WriteLine("  usable frames per mouth shape:");
        foreach (var m in c.Mouths) Console.WriteLine($"    {m.Class,-13} {m.Phones,-9} {m.Frames,6}  {m.Verdict}");
        Console.WriteLine("  the clip lacks:");
        foreach (var l in c.Lacks) Console.WriteLine($"    - {l}");
        Console.WriteLine($"  ({seconds:0.0} s)");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
