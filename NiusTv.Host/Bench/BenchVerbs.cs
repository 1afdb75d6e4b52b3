using System.CommandLine;
using System.Text.Json;
using NiusTv.Actors.Stories;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Tools;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench …`: the speed figures the issues ask for, measured on the machine it runs on.</summary>
public static class BenchVerbs
{
    public static Command Bench()
    {
        var bench = new Command("bench", "measure this machine: bench pipeline, bench cluster, bench models, bench render, bench presenter, bench g2p, bench speech, bench ingest, bench train, bench catalog");
        bench.Add(Pipeline());
        bench.Add(ClusterBench.Command());
        bench.Add(ModelBench.Command());
        bench.Add(RenderBench.Command());
        bench.Add(PresenterBench.Command());
        bench.Add(G2pBench.Command());
        bench.Add(SpeechBench.Command());
        bench.Add(IngestBench.Command());
        bench.Add(TrainBench.Command());
        bench.Add(CatalogBench.Command());
        return bench;
    }

    public sealed record StepTiming(string Step, string Backend, double Seconds);
    public sealed record StoryBench(string Id, double EndToEndSeconds, double VideoSeconds, int Frames, int Width, int Height, int Fps,
        IReadOnlyList<StepTiming> Steps, double ComposeFps, double FfmpegAloneFps, double ComposeToFfmpegRatio,
        long WorkspaceBytes, double WorkspaceBytesPerVideoSecond, string? Rendition = null,
        double FfmpegAloneFromI420Fps = 0, double ComposeToFfmpegFromI420Ratio = 0);
    public sealed record PipelineBench(string Machine, int Cores, IReadOnlyList<StoryBench> Stories, double TotalSeconds, double TotalVideoSeconds);

    private static Command Pipeline()
    {
        var stories = new Option<string?>("--stories") { Description = "folder of story JSON files (default samples/stories)" };
        var cmd = new Command("pipeline", "per-step and end-to-end wall time for the sample stories; compose+encode fps next to ffmpeg alone; workspace bytes per second of video")
            { stories, CommonOptions.Assets, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            var storyDir = r.GetValue(stories) ?? (Directory.Exists("samples/stories") ? "samples/stories" : Path.Combine(home, "samples", "stories"));
            var assets = r.GetValue(CommonOptions.Assets) ?? (Directory.Exists("samples") ? "samples" : Path.Combine(home, "samples"));
            var files = Directory.GetFiles(storyDir, "*.json").Order().ToArray();
            var json = r.GetValue(CommonOptions.Json);
            var scratch = Directory.CreateTempSubdirectory("nius-bench-");
            try
            {
                var settings = new NodeSettings
                {
                    DataDir = Path.Combine(scratch.FullName, "data"), Out = Path.Combine(scratch.FullName, "out"),
                    Assets = assets, Admin = $"127.0.0.1:{LoopbackPorts.Free()}",
                };
                await using var app = NodeHost.Build(settings, LogLevel.Warning);
                await app.StartAsync(ct);
                using var client = new AdminClient(settings.Admin, null);
                await NodeVerbs.WaitUntilUp(client, ct);
                var results = new List<StoryBench>();
                var all = System.Diagnostics.Stopwatch.StartNew();
                foreach (var file in files)
                {
                    // One story at a time, so each step's time is its own and not a share of a contended machine.
                    var posted = await client.PostAsync("api/stories", await File.ReadAllTextAsync(file, ct), ct);
                    if (!posted.Ok) throw new CliException($"{file}: {posted.ErrorText}");
                    var id = posted.As<StoryCommands.PublishResult>().StoryId;
                    if (!json) Console.Error.WriteLine($"bench: {id}…");
                    var view = (await NodeVerbs.FollowAsync(client, [id], quiet: true, ct))[0];
                    if (view.State != "completed") throw new CliException($"{id} did not complete: {view.Error}");
                    results.AddRange(await Measure(view, settings, ct));
                }
                var total = all.Elapsed.TotalSeconds;
                await app.StopAsync(CancellationToken.None);
                var report = new PipelineBench(Environment.MachineName, Environment.ProcessorCount, results, Math.Round(total, 2),
                    Math.Round(results.Sum(s => s.VideoSeconds), 2));
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

    /// <summary>One row per video: the story's, or one per rendition, each with the story's own steps and that
    /// rendition's render and compose under their plain names.</summary>
    private static async Task<List<StoryBench>> Measure(StoryView view, NodeSettings settings, CancellationToken ct)
    {
        var workspace = Path.Combine(settings.WorkspaceRoot, view.Id, "r" + view.Revision);
        var bytes = new DirectoryInfo(workspace).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        var videos = view.Renditions is { } renditions
            ? renditions.Select(r => (Rendition: (string?)r.Name, Video: r.Video))
            : [(null, view.Video)];
        var rows = new List<StoryBench>();
        foreach (var (rendition, path) in videos)
        {
            var steps = view.Steps.Where(s => s.Rendition is null || s.Rendition == rendition)
                .Select(s => new StepTiming(StoryStepName.Step(s.Name), s.Backend ?? "", s.DurationSeconds ?? 0)).ToList();
            var label = rendition is null ? view.Id : $"{view.Id} ({rendition})";
            var probe = await MediaProbe.ProbeAsync(path ?? "", ct);
            var video = probe.Video ?? throw new CliException($"{label}: the video has no video stream");
            var fps = (int)Math.Round(video.FrameRate ?? 0);
            var frames = video.Frames ?? (int)Math.Round((video.Duration ?? probe.FormatDuration) * fps);
            var composeSeconds = steps.First(s => s.Step == NiusTv.Steps.Compose.ComposeStep.Definition.Name).Seconds;
            var (width, height, options) = (video.Width!.Value, video.Height!.Value, new ComposeOptions());
            var ffmpegAlone = await FfmpegBaseline.MeasureAsync(width, height, fps, frames, options, ct);
            // Compose converts its drawn frames to 4:2:0 itself, so ffmpeg is also timed given that: the work left to it.
            var ffmpegFromI420 = await FfmpegBaseline.MeasureAsync(width, height, fps, frames, options, ct, BaselineInput.I420);
            var videoSeconds = video.Duration ?? probe.FormatDuration;
            var composeFps = frames / composeSeconds;
            rows.Add(new StoryBench(view.Id, view.DurationSeconds ?? 0, Math.Round(videoSeconds, 3), frames,
                width, height, fps, steps, Math.Round(composeFps, 1), Math.Round(ffmpegAlone, 1),
                Math.Round(composeFps / ffmpegAlone, 3), bytes, Math.Round(bytes / videoSeconds), rendition,
                Math.Round(ffmpegFromI420, 1), Math.Round(composeFps / ffmpegFromI420, 3)));
        }
        return rows;
    }

    private static void Print(PipelineBench report)
    {
        var names = report.Stories.SelectMany(s => s.Steps.Select(x => x.Step)).Distinct().ToList();
        var table = new Table().AddColumn("story").AddColumn("video s");
        foreach (var n in names) table.AddColumn(n + " s");
        table.AddColumns("end-to-end s", "compose fps", "ffmpeg alone fps", "ratio", "ffmpeg from I420 fps", "ratio (I420)", "workspace KB / video s");
        foreach (var s in report.Stories)
            table.AddRow([Markup.Escape(s.Rendition is null ? s.Id : $"{s.Id} ({s.Rendition})"), $"{s.VideoSeconds:0.0}", .. names.Select(n => $"{s.Steps.FirstOrDefault(x => x.Step == n)?.Seconds:0.00}"),
                $"{s.EndToEndSeconds:0.00}", $"{s.ComposeFps:0}", $"{s.FfmpegAloneFps:0}", $"{s.ComposeToFfmpegRatio:0.00}",
                $"{s.FfmpegAloneFromI420Fps:0}", $"{s.ComposeToFfmpegFromI420Ratio:0.00}",
                $"{s.WorkspaceBytesPerVideoSecond / 1024:0}"]);
        AnsiConsole.Write(table);
        Console.WriteLine($"{report.Stories.Select(s => s.Id).Distinct().Count()} stories, {report.Stories.Count} videos, {report.TotalVideoSeconds:0.0} s of video in {report.TotalSeconds:0.0} s wall, {report.Cores} cores ({report.Machine}); " +
                          $"sizes {string.Join(", ", report.Stories.Select(s => $"{s.Width}x{s.Height}@{s.Fps}").Distinct())}");
    }
}
