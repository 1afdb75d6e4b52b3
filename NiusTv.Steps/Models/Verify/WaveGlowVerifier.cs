using System.Text.Json;
using NiusTv.Steps.Speech.WaveGlow;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models.Verify;

public static partial class FixtureVerifier
{
    private static VerifyReport VerifyWaveGlow(string folder, string configPath)
    {
        var config = WaveGlowConfig.Load(configPath);
        var ioPath = Path.Combine(folder, "io.pt");
        var io = StateDict.Read(ioPath);
        var mel = Need(io, "mel", ioPath);
        var sigma = Need(io, "sigma", ioPath).to_type(ScalarType.Float64).flatten()[0].item<double>();
        // infer draws its noise in a fixed order; the fixture lists the recorded draws in that order.
        var draws = new List<string>();
        using (var doc = JsonDocument.Parse(File.ReadAllText(configPath)))
            if (doc.RootElement.TryGetProperty("noise", out var n) && n.TryGetProperty("order_of_draws", out var order))
                draws.AddRange(order.EnumerateArray().Select(e => e.GetString()!));
        if (draws.Count == 0) draws.AddRange(io.Keys.Where(k => k.StartsWith("noise_")).OrderBy(k => k == "noise_initial" ? 0 : 1));
        var rows = new List<VerifyRow>();
        var notes = new List<string>();
        using var _ = no_grad();

        void Run(string weights, string audioKey, bool intermediates)
        {
            using var scope = NewDisposeScope();
            using var model = new WaveGlow(config);
            model.eval();
            model.Load(weights);
            var next = 0;
            Tensor Noise(long[] shape)
            {
                if (next >= draws.Count) throw new CheckpointException($"{ioPath}: infer asked for noise draw {next + 1}, but the fixture recorded {draws.Count}");
                var z = Need(io, draws[next++], ioPath);
                if (!z.shape.SequenceEqual(shape))
                    throw new CheckpointException($"{ioPath}: noise '{draws[next - 1]}' is [{string.Join(", ", z.shape)}], infer needs [{string.Join(", ", shape)}]");
                return z;
            }
            var audio = model.Infer(mel, sigma, Noise, intermediates
                ? (name, t) =>
                {
                    if (io.TryGetValue(name, out var reference))
                        rows.Add(new VerifyRow(name, MaxAbsDiff(t, reference, name), RelativeTolerance(reference)));
                }
                : null);
            var refAudio = Need(io, audioKey, ioPath);
            rows.Add(new VerifyRow(audioKey, MaxAbsDiff(audio, refAudio, audioKey), RelativeTolerance(refAudio)));
        }

        Run(Path.Combine(folder, "state_dict.pt"), "audio", intermediates: true);
        var plain = Path.Combine(folder, "state_dict_no_weightnorm.pt");
        if (File.Exists(plain) && io.ContainsKey("audio_no_weightnorm")) Run(plain, "audio_no_weightnorm", intermediates: false);
        else notes.Add("no state_dict_no_weightnorm.pt / audio_no_weightnorm in this fixture");
        return new VerifyReport("WaveGlow", folder, rows, notes);
    }
}
