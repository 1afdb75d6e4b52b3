using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Host.Node;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Render.Sketch;
using NiusTv.Steps.Stories;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench render`: frames per second of the renderers that draw from the face label map (sketch,
/// pix2pixhd) at anchor-slot sizes, on a synthetic track that opens and closes the mouth. pix2pixhd runs a given
/// checkpoint, or random weights in the published 512p global generator's shape with the label map's channels.</summary>
public static class RenderBench
{
    public sealed record RenderTiming(string Renderer, string Config, int Width, int Height, int Frames, double Seconds, double FramesPerSecond);

    public static Command Command()
    {
        var sizes = new Option<string[]>("--size") { Description = "slot size WxH, repeatable (default 1024x512 and 2048x1024)", AllowMultipleArgumentsPerToken = true };
        var frames = new Option<int>("--frames") { Description = "frames per measurement for sketch (pix2pixhd: --nn-frames)", DefaultValueFactory = _ => 120 };
        var nnFrames = new Option<int>("--nn-frames") { Description = "frames per measurement for pix2pixhd", DefaultValueFactory = _ => 4 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "pix2pixHD checkpoint folder or weights file" };
        var randomNgf = new Option<int>("--random-ngf") { Description = "without --checkpoint: ngf of a random-weight global generator (4 downsamplings, 9 blocks; 0 = sketch only)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N", DefaultValueFactory = _ => "cpu" };
        var batch = new Option<int>("--batch") { Description = "pix2pixhd frames per generator call", DefaultValueFactory = _ => 4 };
        var cmd = new Command("render", "frames per second of the sketch and pix2pixhd renderers at anchor-slot sizes")
            { sizes, frames, nnFrames, checkpoint, randomNgf, device, batch, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var slots = (r.GetValue(sizes) is { Length: > 0 } given ? given : ["1024x512", "2048x1024"]).Select(ParseSize).ToList();
            var renderers = new List<(IRenderer Renderer, string Config, int Frames)> { (new SketchRenderer(), "label map colours", Math.Max(1, r.GetValue(frames))) };
            Pix2PixHDCheckpoint? loaded = null;
            try
            {
                try
                {
                    if (r.GetValue(checkpoint) is { } path) loaded = Pix2PixHDCheckpoint.Load(path, r.GetValue(device)!);
                    else if (r.GetValue(randomNgf) is > 0 and var ngf)
                        loaded = Pix2PixHDCheckpoint.RandomWeights(new Pix2PixHDConfig { InputNc = FaceRegions.Count, NgfGlobal = ngf }, local: false, r.GetValue(device)!);
                }
                catch (CheckpointException e) { throw new CliException(e.Message); }
                if (loaded is not null)
                {
                    var c = loaded.Config;
                    var desc = $"{(loaded.IsLocal ? "local" : "global")} ngf {(loaded.IsLocal ? c.NgfLocal : c.NgfGlobal)}, {c.NDownsampleGlobal} down, " +
                        $"{c.NBlocksGlobal} blocks, {loaded.LabelNc} labels, {loaded.Parameters:N0} parameters, {loaded.DType} on {loaded.Device.type}, " +
                        $"batch {r.GetValue(batch)}, {loaded.Source}";
                    renderers.Add((new Pix2PixHDRenderer(loaded, Math.Max(1, r.GetValue(batch))), desc, Math.Max(1, r.GetValue(nnFrames))));
                }
                var results = new List<RenderTiming>();
                foreach (var (w, h) in slots)
                    foreach (var (renderer, config, n) in renderers)
                    {
                        // One warm-up frame first: the first call allocates and picks kernels.
                        await renderer.RenderAsync(Request(1, w, h), _ => ValueTask.CompletedTask, new Progress<double>(), ct);
                        var clock = Stopwatch.StartNew();
                        await renderer.RenderAsync(Request(n, w, h), _ => ValueTask.CompletedTask, new Progress<double>(), ct);
                        var s = clock.Elapsed.TotalSeconds;
                        var t = new RenderTiming(renderer.Name, config, w, h, n, Math.Round(s, 3), Math.Round(n / s, 3));
                        results.Add(t);
                        if (!json) Console.Error.WriteLine($"bench: {t.Renderer} {w}x{h}: {t.FramesPerSecond:0.###} frames/s");
                    }
                if (json) Console.WriteLine(JsonSerializer.Serialize(results, NodeHost.Json));
                else
                {
                    var table = new Table().AddColumns("renderer", "size", "frames", "s", "frames/s", "config");
                    foreach (var t in results)
                        table.AddRow(t.Renderer, $"{t.Width}x{t.Height}", t.Frames.ToString(), t.Seconds.ToString("0.###"), t.FramesPerSecond.ToString("0.###"), Markup.Escape(t.Config));
                    AnsiConsole.Write(table);
                    Console.WriteLine($"machine: {Environment.MachineName}, {Environment.ProcessorCount} cores");
                }
                return 0;
            }
            finally
            {
                loaded?.Dispose();
            }
        });
        return cmd;
    }

    private static (int W, int H) ParseSize(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h) && w > 0 && h > 0) return (w, h);
        throw new CliException($"--size {text}: expected WIDTHxHEIGHT, e.g. 1024x512");
    }

    /// <summary>A frontal face template in the middle of a 640x480 "photo", the mouth opening and closing every 4 frames.</summary>
    private static RenderRequest Request(int frames, int w, int h)
    {
        var box = new FaceBox(240, 140, 400, 320);
        float[][] Face(double open) => FaceTemplate.Points(box, open);
        var presenter = new PresenterReference("bench", "", "", 640, 480, new DetectedFace(box, Face(0)), new PresenterFraming());
        var track = new LandmarkTrack("bench", 30, 640, 480, Enumerable.Range(0, frames).Select(i => Face((i / 4) % 2)).ToArray());
        return new RenderRequest("bench", StoryPriority.Normal, presenter, track, w, h);
    }
}
