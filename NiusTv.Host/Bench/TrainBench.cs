using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench train`: pix2pixHD training speed on this machine (iterations per second, and what one epoch of a
/// 60 s clip at 25 fps costs: 1,350 training frames once every 10th is held out) for each size and generator width. The
/// frames are random: speed does not depend on what they show.</summary>
public static class TrainBench
{
    /// <summary>Training frames of a 60 s clip at 25 fps, every 10th held out.</summary>
    public const int FramesPerMinuteClip = 1350;

    public sealed record Row(int Width, int Height, int Ngf, int Ndf, int Batch, long GeneratorParameters, int Iterations,
        double IterationsPerSecond, double SecondsPerEpoch);
    public sealed record Report(string Machine, int Cores, int Threads, string Device, IReadOnlyList<Row> Rows);

    public static Command Command()
    {
        var sizes = new Option<int[]>("--size") { Description = "square sizes (default 128 256 512)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [128, 256, 512] };
        var ngfs = new Option<int[]>("--ngf") { Description = "generator widths (default 16 32 64)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [16, 32, 64] };
        var iterations = new Option<int>("--iterations") { Description = "timed iterations per row, after one untimed", DefaultValueFactory = _ => 3 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("train", "pix2pixHD training speed: iterations/s and seconds per epoch of a 60 s clip, per size and ngf (ndf 64, batch 1)")
            { sizes, ngfs, iterations, device, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            var json = r.GetValue(CommonOptions.Json);
            var timed = Math.Max(1, r.GetValue(iterations));
            var rows = new List<Row>();
            foreach (var size in r.GetValue(sizes)!)
                foreach (var ngf in r.GetValue(ngfs)!)
                {
                    var options = new TrainingOptions { Width = size, Height = size, Ngf = ngf, Device = r.GetValue(device)!, Iterations = 1_000_000, EvalFrames = 1 };
                    if (options.Problem() is { } problem) throw new CliException(problem, 2);
                    if (!json) Console.Error.WriteLine($"bench: {size}x{size}, ngf {ngf}…");
                    using var folder = new TemporaryFolder();
                    using var trainer = Pix2PixHDTrainer.Start(options, RandomPairs(size, size), folder.Path, new TrainingIdentity("bench", new string('0', 64)));
                    trainer.Step();
                    var clock = Stopwatch.StartNew();
                    for (var i = 0; i < timed; i++) trainer.Step();
                    var rate = timed / clock.Elapsed.TotalSeconds;
                    rows.Add(new Row(size, size, ngf, options.Ndf, options.Batch, trainer.GeneratorParameters, timed, Math.Round(rate, 3),
                        Math.Round(FramesPerMinuteClip / (double)options.Batch / rate, 0)));
                }
            var report = new Report(Environment.MachineName, Environment.ProcessorCount, TorchSharp.torch.get_num_threads(), r.GetValue(device)!, rows);
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            else
            {
                var table = new Table().AddColumns("size", "ngf", "generator parameters", "iterations/s", "s per epoch (60 s clip)");
                foreach (var row in rows)
                    table.AddRow($"{row.Width}x{row.Height}", row.Ngf.ToString(), row.GeneratorParameters.ToString("N0"), $"{row.IterationsPerSecond:0.000}",
                        TimeSpan.FromSeconds(row.SecondsPerEpoch).ToString(@"h\:mm\:ss"));
                AnsiConsole.Write(table);
                Console.WriteLine($"ndf 64, batch 1, {report.Threads} threads on {report.Cores} cores ({report.Machine}), {report.Device}");
            }
            return 0;
        });
        return cmd;
    }

    private static TrainingPairs RandomPairs(int width, int height)
    {
        var random = new Random(7);
        var canvas = width + 2 * TrainingPairs.JitterFor(width);
        TrainingPair Pair(int frame)
        {
            var labels = new byte[canvas * height];
            for (var i = 0; i < labels.Length; i++) labels[i] = (byte)random.Next(8);
            var rgb = new byte[canvas * height * 3];
            random.NextBytes(rgb);
            return new TrainingPair(frame, labels, rgb);
        }
        return TrainingPairs.FromPairs(width, height, [Pair(1), Pair(2)], [Pair(0)]);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("niustv-bench-train-").FullName;
        public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
    }
}
