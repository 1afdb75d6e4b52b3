using NiusTv.Steps.Models;
using NiusTv.Steps.Models.Verify;
using NiusTv.Steps.Speech.Tacotron2;
using Xunit;
using static TorchSharp.torch;

namespace NiusTv.Tests.Models;

[Trait("Speed", "Slow")]
public class Tacotron2Tests
{
    [Fact]
    public void Teacher_forced_pass_decoder_steps_and_greedy_decode_equal_the_pytorch_reference()
    {
        var report = FixtureVerifier.Verify(SharedFixtures.Folder("tacotron2"));
        Assert.True(report.Passed, string.Join("\n", report.Rows.Select(r => $"{r.Output} {r.MaxAbsDiff:g3} tol {r.Tolerance:g3}")));
        foreach (var name in new[] { "tf_mel_outputs_postnet", "tf_gate_outputs", "tf_alignments", "tf_step35_out_mel_output",
                     "inf_mel_outputs_postnet", "infstop frame count", "tf masked values (0, 1000.0)" })
            Assert.Contains(report.Rows, r => r.Output == name);
    }

    [Fact]
    public void Prenet_dropout_is_on_by_default_as_in_nvidia_inference()
    {
        var folder = SharedFixtures.Folder("tacotron2");
        using var model = new Tacotron2(Tacotron2Config.Load(Path.Combine(folder, "config.json")));
        model.eval();
        StateDict.LoadInto(model, Path.Combine(folder, "state_dict.pt"));
        Assert.True(model.PrenetDropout);
        using var _ = no_grad();
        using var x = ones(4, 80);
        // Dropout 0.5 in eval mode still zeroes some units and doubles the rest; without it two calls agree.
        var a = model.Decoder.Prenet.call(x);
        var b = model.Decoder.Prenet.call(x);
        Assert.False(a.allclose(b));
        model.PrenetDropout = false;
        Assert.True(model.Decoder.Prenet.call(x).allclose(model.Decoder.Prenet.call(x)));
    }
}
