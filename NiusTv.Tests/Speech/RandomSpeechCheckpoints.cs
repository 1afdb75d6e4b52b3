using System.Text.Json;
using NiusTv.Steps.Speech.Tacotron2;
using NiusTv.Steps.Speech.WaveGlow;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using WaveGlowModel = NiusTv.Steps.Speech.WaveGlow.WaveGlow;
using Tacotron2Model = NiusTv.Steps.Speech.Tacotron2.Tacotron2;

namespace NiusTv.Tests.Speech;

/// <summary>Small Tacotron2 and WaveGlow checkpoints with random weights in the fixture format (state_dict.pt written
/// the way torch.save writes it, config.json with "hparams" / "waveglow_config"), made inside the test. What they say
/// is noise; how long they speak is set: the gate's bias decides whether the stop token ever fires.</summary>
public static class RandomSpeechCheckpoints
{
    public const int MelChannels = 16;

    public static Dictionary<string, object> Hparams(int maxDecoderSteps, int decoderRnnDim = 64) => new()
    {
        ["n_mel_channels"] = MelChannels, ["n_symbols"] = 148, ["symbols_embedding_dim"] = 32, ["encoder_kernel_size"] = 5,
        ["encoder_n_convolutions"] = 3, ["encoder_embedding_dim"] = 32, ["n_frames_per_step"] = 1, ["decoder_rnn_dim"] = decoderRnnDim,
        ["prenet_dim"] = 32, ["max_decoder_steps"] = maxDecoderSteps, ["gate_threshold"] = 0.5, ["attention_rnn_dim"] = 64,
        ["attention_dim"] = 16, ["attention_location_n_filters"] = 8, ["attention_location_kernel_size"] = 31,
        ["postnet_embedding_dim"] = 32, ["postnet_kernel_size"] = 5, ["postnet_n_convolutions"] = 5, ["sampling_rate"] = 22050,
    };

    /// <summary>Writes DIR/tacotron2/{state_dict.pt,config.json}. <paramref name="gateBias"/> -100: the stop gate never
    /// fires, every decode runs to the step limit; +100: it fires on the first frame.</summary>
    /// <param name="flatAttention">zero attention energies: the weights are uniform and their argmax stays on the first
    /// symbol, so the attention never reaches the end of the text.</param>
    public static string Tacotron2(string dir, int maxDecoderSteps, double gateBias = -100, int decoderRnnDim = 64, int? configRnnDim = null,
        bool flatAttention = false)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir, "tacotron2")).FullName;
        var hparams = Hparams(maxDecoderSteps, decoderRnnDim);
        using (var model = new Tacotron2Model(Tacotron2Config.Load(WriteJson(folder, "hparams", hparams))))
        {
            using (no_grad())
            {
                model.state_dict()["decoder.gate_layer.linear_layer.bias"].fill_(gateBias);
                if (flatAttention) model.state_dict()["decoder.attention_layer.v.linear_layer.weight"].zero_();
            }
            model.save_py(Path.Combine(folder, "state_dict.pt"));
        }
        // A config that disagrees with the weights (wrong-shape test) is written after the weights were made.
        if (configRnnDim is { } rnn) WriteJson(folder, "hparams", Hparams(maxDecoderSteps, rnn));
        return Path.Combine(folder, "state_dict.pt");
    }

    /// <summary>Writes DIR/waveglow/{state_dict.pt,config.json}: 4 flows of 2 WN layers x 16 channels.</summary>
    public static string WaveGlow(string dir)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir, "waveglow")).FullName;
        var config = new Dictionary<string, object>
        {
            ["n_mel_channels"] = MelChannels, ["n_flows"] = 4, ["n_group"] = 8, ["n_early_every"] = 2, ["n_early_size"] = 2,
            ["WN_config"] = new Dictionary<string, object> { ["n_layers"] = 2, ["n_channels"] = 16, ["kernel_size"] = 3 },
        };
        using var model = new WaveGlowModel(WaveGlowConfig.Load(WriteJson(folder, "waveglow_config", config)));
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                // Orthonormal 1x1 convs, as the original initialises them (a random matrix may not invert), and a small
                // WN.end (the original starts it at zero) so the flows stay near identity and the audio finite.
                if (name.StartsWith("convinv")) p.copy_(linalg.qr(randn(p.shape[0], p.shape[1])).Q.unsqueeze(2));
                else if (name.Contains(".end.")) p.mul_(0.1);
            }
        }
        model.save_py(Path.Combine(folder, "state_dict.pt"));
        return Path.Combine(folder, "state_dict.pt");
    }

    private static string WriteJson(string folder, string key, object value)
    {
        var path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = key == "hparams" ? "Tacotron2 (random weights, made by a test)" : "WaveGlow (random weights, made by a test)", [key] = value }));
        return path;
    }
}
