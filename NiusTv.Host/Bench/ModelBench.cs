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
    /// <param name="PyTorchSeconds">The same workload's median under PyTorch 1.13 on this kind of machine (2 threads), as
    /// recorded in the fixture's config.json (timing_cpu_pytorch_1_13); null where the fixture records none.</param>
    public sealed record ModelTiming(string Model, string Config, long Parameters, string Workload, double MedianSeconds, IReadOnlyList<double> RunsSeconds,
        double? PyTorchSeconds = null, long? PyTorchParameters = null)
    {
        /// <summary>The fastest run: on a shared machine the least disturbed one, closest to what the code can do.</summary>
        public double BestSeconds => RunsSeconds.Min();
    }

    public static Command Command()
    {
        var fixtures = new Option<string?>("--fixtures") { Description = "folder holding tacotron2/, waveglow/, pix2pixhd/ fixture configs (default ../shared/reference beside the checkout)" };
        var runs = new Option<int>("--runs") { Description = "timed runs per model after one warm-up (median reported)", DefaultValueFactory = _ => 3 };
        var smallOnly = new Option<bool>("--small-only") { Description = "only the fixture configurations (the published pix2pixHD ones take minutes on 2 cores)" };
        var only = new Option<string[]>("--only") { Description = "only these models: tacotron2, waveglow, pix2pixhd (repeatable)", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("models", "Tacotron2, WaveGlow and pix2pixHD inference time and parameter counts, fixture and published sizes, random weights")
            { fixtures, runs, smallOnly, only, CommonOptions.Json };
        cmd.SetAction(r =>
        {
            set_num_threads(2);
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            var dir = r.GetValue(fixtures) ?? Path.GetFullPath(Path.Combine(home, "..", "shared", "reference"));
            string? Config(string model) => File.Exists(Path.Combine(dir, model, "config.json")) ? Path.Combine(dir, model, "config.json") : null;
            var json = r.GetValue(CommonOptions.Json);
            var chosen = r.GetValue(only) is { Length: > 0 } o ? o.Select(m => m.ToLowerInvariant()).ToHashSet() : null;
            foreach (var m in chosen ?? [])
                if (m is not ("tacotron2" or "waveglow" or "pix2pixhd")) throw new CliException($"--only: '{m}' is not a model; use tacotron2, waveglow or pix2pixhd");
            bool Wanted(string model) => chosen is null || chosen.Contains(model);
            var n = Math.Max(1, r.GetValue(runs));
            var results = new List<ModelTiming>();
            var loadBefore = LoadAverage();
            // Which PyTorch anchor each row compares with: fixture model folder and key under timing_cpu_pytorch_1_13.results.
            var anchors = new Dictionary<(string, string), (string Folder, string Key)>
            {
                [("Tacotron2", "fixture")] = ("tacotron2", "small"), [("Tacotron2", "published")] = ("tacotron2", "full"),
                [("WaveGlow", "fixture")] = ("waveglow", "small"), [("WaveGlow", "published")] = ("waveglow", "full"),
                [("pix2pixHD", "fixture global")] = ("pix2pixhd", "small_global"), [("pix2pixHD", "fixture local")] = ("pix2pixhd", "small_local"),
                [("pix2pixHD", "published 512p global")] = ("pix2pixhd", "full_global"), [("pix2pixHD", "published 1024p local")] = ("pix2pixhd", "full_local"),
            };
            void Add(ModelTiming t)
            {
                if (anchors.TryGetValue((t.Model, t.Config), out var a) && PyTorchAnchor(Config(a.Folder), a.Key) is { } anchor)
                    t = t with { PyTorchSeconds = anchor.Seconds, PyTorchParameters = anchor.Parameters };
                results.Add(t);
                Console.Error.WriteLine($"bench: {t.Model} {t.Config}: {t.MedianSeconds:0.000} s"); // stderr: --json keeps stdout clean
            }
            var configs = new List<(string Name, bool Small, string? Path)>();
            if (Config("tacotron2") is { } tc) configs.Add(("fixture", true, tc));
            if (!r.GetValue(smallOnly)) configs.Add(("published", false, null));
            if (Wanted("tacotron2"))
                foreach (var (name, _, path) in configs)
                    Add(Tacotron(name, Tacotron2Config.Load(path), n));
            configs.Clear();
            if (Config("waveglow") is { } wc) configs.Add(("fixture", true, wc));
            if (!r.GetValue(smallOnly)) configs.Add(("published", false, null));
            if (Wanted("waveglow"))
                foreach (var (name, _, path) in configs) Add(Glow(name, WaveGlowConfig.Load(path), n));
            if (Wanted("pix2pixhd") && Config("pix2pixhd") is { } pc)
            {
                var c = Pix2PixHDConfig.Load(pc);
                Add(Pix("fixture global", new GlobalGenerator(c.InputNc, c.OutputNc, c.NgfGlobal, c.NDownsampleGlobal, c.NBlocksGlobal), c.InputNc, 64, 128, n));
                Add(Pix("fixture local", new LocalEnhancer(c), c.InputNc, 128, 256, n));
            }
            if (Wanted("pix2pixhd") && !r.GetValue(smallOnly))
            {
                var p = new Pix2PixHDConfig();
                Add(Pix("published 512p global", new GlobalGenerator(p.InputNc, p.OutputNc, p.NgfGlobal, p.NDownsampleGlobal, p.NBlocksGlobal), p.InputNc, 512, 1024, n));
                // PyTorch peaked at 2.6 GB on this workload; leave room for the node's other tenants.
                var available = AvailableMemoryBytes();
                if (available is null || available > 6L << 30) Add(Pix("published 1024p local", new LocalEnhancer(p), p.InputNc, 1024, 2048, n));
                else Console.Error.WriteLine($"bench: pix2pixHD published 1024p local skipped: {available >> 20} MiB available, 6 GiB wanted");
            }
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    machine = Environment.MachineName, cores = Environment.ProcessorCount, threads = 2,
                    loadAverageBefore = loadBefore, loadAverageAfter = LoadAverage(), results,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
                return 0;
            }
            var table = new Table().AddColumns("model", "config", "parameters", "workload", "median s", "best s", "PyTorch 1.13 s", "median vs PyTorch");
            foreach (var t in results)
                table.AddRow(t.Model, Markup.Escape(t.Config), t.Parameters.ToString("N0"), Markup.Escape(t.Workload), t.MedianSeconds.ToString("0.000"),
                    t.BestSeconds.ToString("0.000"), t.PyTorchSeconds is { } py ? py.ToString("0.000") : "-", t.PyTorchSeconds is { } py2 ? $"{t.MedianSeconds / py2:0.00}x" : "-");
            AnsiConsole.Write(table);
            Console.WriteLine($"{Environment.ProcessorCount} cores, 2 threads; load average {loadBefore} before, {LoadAverage()} after (other processes slow the figures). " +
                              "PyTorch figures: the fixtures' config.json (timing_cpu_pytorch_1_13), measured on this kind of machine.");
            return 0;
        });
        return cmd;
    }

    /// <summary>The PyTorch 1.13 median recorded for <paramref name="key"/> in a fixture config.json, with its parameter count.</summary>
    private static (double Seconds, long? Parameters)? PyTorchAnchor(string? configPath, string key)
    {
        if (configPath is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            if (!doc.RootElement.TryGetProperty("timing_cpu_pytorch_1_13", out var timing) || !timing.TryGetProperty("results", out var results)
                || !results.TryGetProperty(key, out var r) || !r.TryGetProperty("median_s", out var median)) return null;
            return (median.GetDouble(), r.TryGetProperty("params", out var p) ? p.GetInt64() : null);
        }
        catch (JsonException) { return null; }
    }

    /// <summary>1-minute load average (Linux), so a reader can tell a quiet run from a contended one.</summary>
    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    private static long? AvailableMemoryBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { return null; }
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
