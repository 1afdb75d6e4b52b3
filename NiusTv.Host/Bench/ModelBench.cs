using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Speech.Tacotron2;
using NiusTv.Steps.Speech.WaveGlow;
using Spectre.Console;
using static TorchSharp.torch;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench models`: inference time of each model on this machine, 2 threads, float32 CPU, with random
/// weights, in the reference fixtures' small configurations and in the published ones (the workloads of the fixture
/// READMEs' performance anchors, so the figures compare with PyTorch 1.13 on the same machine).</summary>
public static class ModelBench
{
    public sealed record ModelTiming(string Model, string Config, long Parameters, string Workload, double MedianSeconds, IReadOnlyList<double> RunsSeconds);

    public static Command Command()
    {
        var fixtures = new Option<string?>("--fixtures") { Description = "folder holding tacotron2/, waveglow/, pix2pixhd/ fixture configs (default ../shared/reference beside the checkout)" };
        var runs = new Option<int>("--runs") { Description = "timed runs per model after one warm-up (median reported)", DefaultValueFactory = _ => 3 };
        var smallOnly = new Option<bool>("--small-only") { Description = "only the fixture configurations (the published pix2pixHD ones take minutes on 2 cores)" };
        var cmd = new Command("models", "Tacotron2, WaveGlow and pix2pixHD inference time and parameter counts, fixture and published sizes, random weights")
            { fixtures, runs, smallOnly, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            set_num_threads(2);
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            var dir = r.GetValue(fixtures) ?? Path.GetFullPath(Path.Combine(home, "..", "shared", "reference"));
            string? Config(string model) => File.Exists(Path.Combine(dir, model, "config.json")) ? Path.Combine(dir, model, "config.json") : null;
            var json = r.GetValue(CommonOptions.Json);
            var n = Math.Max(1, r.GetValue(runs));
            var results = new List<ModelTiming>();
            void Add(ModelTiming t)
            {
                results.Add(t);
                if (!json) Console.Error.WriteLine($"bench: {t.Model} {t.Config}: {t.MedianSeconds:0.000} s");
            }
            var configs = new List<(string Name, bool Small, string? Path)>();
            if (Config("tacotron2") is { } tc) configs.Add(("fixture", true, tc));
            if (!r.GetValue(smallOnly)) configs.Add(("published", false, null));
            foreach (var (name, _, path) in configs)
                Add(Tacotron(name, Tacotron2Config.Load(path), n));
            configs.Clear();
            if (Config("waveglow") is { } wc) configs.Add(("fixture", true, wc));
            if (!r.GetValue(smallOnly)) configs.Add(("published", false, null));
            foreach (var (name, _, path) in configs) Add(Glow(name, WaveGlowConfig.Load(path), n));
            if (Config("pix2pixhd") is { } pc)
            {
                var c = Pix2PixHDConfig.Load(pc);
                Add(Pix("fixture global", new GlobalGenerator(c.InputNc, c.OutputNc, c.NgfGlobal, c.NDownsampleGlobal, c.NBlocksGlobal), c.InputNc, 64, 128, n));
                Add(Pix("fixture local", new LocalEnhancer(c), c.InputNc, 128, 256, n));
            }
            if (!r.GetValue(smallOnly))
            {
                var p = new Pix2PixHDConfig();
                Add(Pix("published 512p global", new GlobalGenerator(p.InputNc, p.OutputNc, p.NgfGlobal, p.NDownsampleGlobal, p.NBlocksGlobal), p.InputNc, 512, 1024, n));
                Add(Pix("published 1024p local", new LocalEnhancer(p), p.InputNc, 1024, 2048, n));
            }
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { machine = Environment.MachineName, threads = 2, results }, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var table = new Table().AddColumns("model", "config", "parameters", "workload", "median s");
            foreach (var t in results)
                table.AddRow(t.Model, Markup.Escape(t.Config), t.Parameters.ToString("N0"), Markup.Escape(t.Workload), t.MedianSeconds.ToString("0.000"));
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    private static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    private static (double Median, List<double> Runs) Time(int runs, Action run)
    {
        using (no_grad()) run(); // warm-up: first calls pick kernels and allocate
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            using var _ = no_grad();
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return (times.Order().ElementAt(times.Count / 2), times);
    }

    private static ModelTiming Tacotron(string name, Tacotron2Config c, int runs)
    {
        using var model = new Tacotron2(c);
        model.eval();
        using var text = randint(0, c.NSymbols, [1, 50], ScalarType.Int64);
        // A threshold above 1 never fires, so every run decodes exactly 200 frames, as the PyTorch anchor does.
        var (median, times) = Time(runs, () => { using var s = NewDisposeScope(); model.Infer(text, 2.0, 200); });
        return new ModelTiming("Tacotron2", name, Count(model), "50 symbols, 200 decoder steps, prenet dropout on", median, times);
    }

    private static ModelTiming Glow(string name, WaveGlowConfig c, int runs)
    {
        using var model = new WaveGlow(c);
        model.eval();
        // Random orthonormal 1x1 convs, as the original initialises them: a random matrix may not be invertible.
        using (no_grad())
            foreach (var (key, p) in model.named_parameters().Where(p => p.name.StartsWith("convinv")))
            {
                var (q, _) = linalg.qr(randn(p.shape[0], p.shape[1]));
                p.copy_(q.unsqueeze(2));
            }
        using var mel = randn(1, c.NMelChannels, 87);
        var (median, times) = Time(runs, () => { using var s = NewDisposeScope(); model.Infer(mel, 0.6, shape => randn(shape), null); });
        return new ModelTiming("WaveGlow", name, Count(model), "87 mel frames -> 22272 samples (1.01 s), sigma 0.6", median, times);
    }

    private static ModelTiming Pix(string name, nn.Module<Tensor, Tensor> model, int inputNc, int h, int w, int runs)
    {
        using var _ = model;
        model.eval();
        using var x = rand(1, inputNc, h, w);
        var (median, times) = Time(runs, () => { using var s = NewDisposeScope(); model.call(x); });
        return new ModelTiming("pix2pixHD", name, Count(model), $"input [1, {inputNc}, {h}, {w}]", median, times);
    }
}
