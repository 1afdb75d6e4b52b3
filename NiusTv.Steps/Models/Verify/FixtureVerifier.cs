using System.Text.Json;
using NiusTv.Steps.Render.Pix2PixHD;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models.Verify;

/// <summary>Runs a re-implemented model on every input a reference fixture folder holds (state_dict.pt, io.pt,
/// config.json, as in ../shared/reference/&lt;model&gt;/) and measures the largest difference per recorded tensor.</summary>
public static partial class FixtureVerifier
{
    public static VerifyReport Verify(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new CheckpointException($"{folder}: no config.json, so the model cannot be told");
        string model;
        using (var doc = JsonDocument.Parse(File.ReadAllText(configPath)))
            model = doc.RootElement.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
        // The fixtures name the original class in "model"; that string is the only model marker they carry.
        if (model.Contains("pix2pixHD", StringComparison.OrdinalIgnoreCase)) return VerifyPix2PixHD(folder, configPath);
        if (model.Contains("WaveGlow", StringComparison.OrdinalIgnoreCase)) return VerifyWaveGlow(folder, configPath);
        if (model.Contains("Tacotron2", StringComparison.OrdinalIgnoreCase)) return VerifyTacotron2(folder, configPath);
        throw new CheckpointException($"{configPath}: model \"{model}\" is not one `nius models verify` knows (pix2pixHD, WaveGlow, Tacotron2)");
    }

    /// <summary>The fixtures' suggested check: max|ours - ref| &lt;= 1e-4 * max(1, max|ref|), about ten times the
    /// float32 noise measured between PyTorch builds.</summary>
    internal static double RelativeTolerance(Tensor reference, double factor = 1e-4) =>
        factor * Math.Max(1.0, reference.abs().max().to_type(ScalarType.Float64).item<double>());

    internal static double MaxAbsDiff(Tensor ours, Tensor reference, string name)
    {
        if (!ours.shape.SequenceEqual(reference.shape))
            throw new CheckpointException($"{name}: shape [{string.Join(", ", ours.shape)}] but the reference is [{string.Join(", ", reference.shape)}]");
        using var scope = NewDisposeScope();
        return (ours.to_type(ScalarType.Float64) - reference.to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    private static Tensor Need(Dictionary<string, Tensor> io, string key, string ioPath) =>
        io.TryGetValue(key, out var t) ? t : throw new CheckpointException($"{ioPath}: no tensor '{key}'");

    /// <summary>pix2pixHD_model.encode_input without instance maps: one channel per label.</summary>
    internal static Tensor OneHot(Tensor labelMap, long labelNc)
    {
        var shape = labelMap.shape.ToArray();
        shape[1] = labelNc;
        return zeros(shape, ScalarType.Float32).scatter_(1, labelMap.to_type(ScalarType.Int64), ones(labelMap.shape, ScalarType.Float32));
    }

    private static VerifyReport VerifyPix2PixHD(string folder, string configPath)
    {
        var config = Pix2PixHDConfig.Load(configPath);
        var ioPath = Path.Combine(folder, "io.pt");
        var io = StateDict.Read(ioPath);
        var rows = new List<VerifyRow>();
        var notes = new List<string>();
        using var _ = no_grad();
        using var scope = NewDisposeScope();

        using (var doc = JsonDocument.Parse(File.ReadAllText(configPath)))
        {
            var recorded = new Dictionary<int, string>();
            if (doc.RootElement.TryGetProperty("global_record_indices", out var idx))
                foreach (var p in idx.EnumerateObject()) recorded[p.Value.GetInt32()] = p.Name;
            var global = new GlobalGenerator(config.InputNc, config.OutputNc, config.NgfGlobal, config.NDownsampleGlobal, config.NBlocksGlobal);
            global.eval();
            StateDict.LoadInto(global, Path.Combine(folder, "state_dict.pt"));
            if (!recorded.ContainsValue("output")) recorded[global.LayerCount - 1] = "output";
            var input = Need(io, "global_input", ioPath);
            if (io.TryGetValue("global_label_map", out var labels)) rows.Add(Exact("global_input (one-hot)", OneHot(labels, config.InputNc), input));
            global.Forward(input, (i, t) =>
            {
                if (recorded.TryGetValue(i, out var name) && io.TryGetValue("global_" + name, out var reference))
                    rows.Add(new VerifyRow("global_" + name, MaxAbsDiff(t, reference, "global_" + name), RelativeTolerance(reference)));
            });
        }

        var localWeights = Path.Combine(folder, "state_dict_local.pt");
        if (!File.Exists(localWeights) || !io.ContainsKey("local_input"))
        {
            notes.Add("no LocalEnhancer in this fixture (state_dict_local.pt or local_input missing)");
            return new VerifyReport("pix2pixHD", folder, rows, notes);
        }
        var local = new LocalEnhancer(config);
        local.eval();
        StateDict.LoadInto(local, localWeights);
        var localInput = io["local_input"];
        if (io.TryGetValue("local_label_map", out var localLabels)) rows.Add(Exact("local_input (one-hot)", OneHot(localLabels, config.InputNc), localInput));
        var output = local.Forward(localInput, (name, t) =>
        {
            if (io.TryGetValue("local_" + name, out var reference))
                rows.Add(new VerifyRow("local_" + name, MaxAbsDiff(t, reference, "local_" + name), RelativeTolerance(reference)));
        });
        var refOut = Need(io, "local_output", ioPath);
        rows.Add(new VerifyRow("local_output", MaxAbsDiff(output, refOut, "local_output"), RelativeTolerance(refOut)));
        return new VerifyReport("pix2pixHD", folder, rows, notes);
    }

    private static VerifyRow Exact(string name, Tensor ours, Tensor reference) => new(name, MaxAbsDiff(ours, reference, name), 0);
}
