using System.Text.Json;
using NiusTv.Steps.Speech.Tacotron2;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models.Verify;

public static partial class FixtureVerifier
{
    private static VerifyReport VerifyTacotron2(string folder, string configPath)
    {
        var config = Tacotron2Config.Load(configPath);
        var ioPath = Path.Combine(folder, "io.pt");
        var io = StateDict.Read(ioPath);
        var rows = new List<VerifyRow>();
        var notes = new List<string> { "prenet dropout off (p=0) for the comparison: a random stream cannot be matched; production keeps it on" };
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var model = new Tacotron2(config);
        model.eval();
        StateDict.LoadInto(model, Path.Combine(folder, "state_dict.pt"));
        model.PrenetDropout = false;

        void Compare(string name, Tensor ours, Tensor? toleranceBasis = null)
        {
            if (!io.TryGetValue(name, out var reference)) return;
            rows.Add(new VerifyRow(name, MaxAbsDiff(ours, reference, name), RelativeTolerance(toleranceBasis ?? reference)));
        }
        long[] Longs(string key) => Need(io, key, ioPath).to_type(ScalarType.Int64).data<long>().ToArray();

        // Teacher-forced pass, with the decoder steps the fixture recorded.
        var outputLengths = Longs("output_lengths");
        var recordedSteps = io.Keys.Where(k => k.StartsWith("tf_step") && k.Contains("_in_")).Select(k => int.Parse(k[7..k.IndexOf('_', 7)])).ToHashSet();
        Tensor? encoderOutputs = null;
        var (mel, melPost, gate, align) = model.TeacherForced(Need(io, "text_padded", ioPath), Longs("text_lengths"), Need(io, "mel_targets_padded", ioPath),
            outputLengths, (name, t) =>
            {
                if (name == "encoder_outputs") encoderOutputs = t;
                Compare("tf_" + name, t);
            }, (step, s, a, gateOrNull) =>
            {
                if (!recordedSteps.Contains(step)) return;
                var p = gateOrNull is null ? $"tf_step{step}_in_" : $"tf_step{step}_out_";
                if (gateOrNull is null) Compare(p + "decoder_input", a);
                Compare(p + "attention_hidden", s.AttentionHidden); Compare(p + "attention_cell", s.AttentionCell);
                Compare(p + "decoder_hidden", s.DecoderHidden); Compare(p + "decoder_cell", s.DecoderCell);
                Compare(p + "attention_weights", s.AttentionWeights); Compare(p + "attention_weights_cum", s.AttentionWeightsCum);
                Compare(p + "attention_context", s.AttentionContext);
                if (gateOrNull is not null) { Compare(p + "mel_output", a); Compare(p + "gate_output", gateOrNull); }
            });
        Compare("tf_mel_outputs", mel);
        Compare("tf_mel_outputs_postnet", melPost);
        Compare("tf_alignments", align);
        if (io.TryGetValue("tf_gate_outputs", out var refGate))
        {
            // The 1000.0 padding would loosen a relative tolerance to 0.1: scale by the unmasked frames only.
            var valid = refGate.masked_select(refGate != 1000.0f);
            Compare("tf_gate_outputs", gate, valid);
        }

        // Values the README requires bit-exact: the masked frames (0 and 1000), zero encoder rows past each text's
        // length, zero attention on padded text. A tolerance would hide a masking mistake that is small in size.
        var exact = 0.0;
        var textLengths = Longs("text_lengths");
        var frameMask = arange(mel.shape[2]).unsqueeze(0) >= tensor(outputLengths).unsqueeze(1);
        exact = Math.Max(exact, (gate.masked_select(frameMask) - 1000.0f).abs().max().item<float>());
        exact = Math.Max(exact, melPost.masked_select(frameMask.unsqueeze(1).expand_as(melPost)).abs().max().item<float>());
        var textMask = arange(align.shape[2]).unsqueeze(0) >= tensor(textLengths).unsqueeze(1);
        if (textMask.any().item<bool>())
        {
            exact = Math.Max(exact, align.masked_select(textMask.unsqueeze(1).expand_as(align)).abs().max().item<float>());
            exact = Math.Max(exact, encoderOutputs!.masked_select(textMask.unsqueeze(2).expand_as(encoderOutputs)).abs().max().item<float>());
        }
        rows.Add(new VerifyRow("tf masked values (0, 1000.0)", exact, 0));

        // Greedy decode: the fixture's step count with a threshold that never fires, then the stop-token run.
        if (!io.TryGetValue("inf_text", out var infText)) return new VerifyReport("Tacotron2", folder, rows, notes);
        using (var doc = JsonDocument.Parse(File.ReadAllText(configPath)))
        {
            var inf = doc.RootElement.TryGetProperty("inference", out var i) ? i : default;
            var steps = inf.ValueKind == JsonValueKind.Object && inf.TryGetProperty("n_steps", out var n) ? n.GetInt32() : (int)Need(io, "inf_mel_outputs", ioPath).shape[2];
            var threshold = inf.ValueKind == JsonValueKind.Object && inf.TryGetProperty("gate_threshold", out var g) ? g.GetDouble() : 1.0;
            var run = model.Infer(infText, threshold, steps, (name, t) => Compare("inf_" + name, t));
            Compare("inf_mel_outputs", run.Mel); Compare("inf_mel_outputs_postnet", run.MelPostnet);
            Compare("inf_gate_outputs", run.Gate); Compare("inf_alignments", run.Alignments);
        }
        if (io.TryGetValue("infstop_gate_threshold", out var stopThreshold))
        {
            var run = model.Infer(infText, stopThreshold.to_type(ScalarType.Float64).flatten()[0].item<double>(), config.MaxDecoderSteps);
            var refFrames = Need(io, "infstop_mel_outputs", ioPath).shape[2];
            // The frame count must match exactly; shape checks below would only say "shape differs".
            rows.Add(new VerifyRow("infstop frame count", Math.Abs(run.Mel.shape[2] - refFrames), 0));
            if (run.Mel.shape[2] == refFrames)
            {
                Compare("infstop_mel_outputs", run.Mel); Compare("infstop_mel_outputs_postnet", run.MelPostnet);
                Compare("infstop_gate_outputs", run.Gate); Compare("infstop_alignments", run.Alignments);
            }
        }
        return new VerifyReport("Tacotron2", folder, rows, notes);
    }
}
