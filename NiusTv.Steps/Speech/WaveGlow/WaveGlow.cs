using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NiusTv.Steps.Speech.WaveGlow;

// Mirrors NVIDIA/waveglow glow.py (WaveGlow, WN, Invertible1x1Conv) so that state_dict keys match: upsample, WN.K.*,
// convinv.K.conv.weight. Weight norm is not a module here: checkpoints that carry weight_g/weight_v are folded into a
// plain weight on load (FoldWeightNorm), which is what NVIDIA's inference.py does with remove_weightnorm before inference.

/// <summary>The affine-coupling network of one flow: dilated convs gated by tanh*sigmoid, conditioned on the mel.</summary>
public sealed class WaveGlowWN : Module<Tensor, Tensor, Tensor>
{
    // Field names are the checkpoint's: TorchSharp registers them by name when the module sits in a ModuleList.
#pragma warning disable IDE1006
    private readonly ModuleList<Conv1d> in_layers = new();
    private readonly ModuleList<Conv1d> res_skip_layers = new();
    private readonly Conv1d start, end, cond_layer;
#pragma warning restore IDE1006
    private readonly int _layers;
    private readonly long _channels;

    public WaveGlowWN(long nIn, long nMel, int nLayers, long nChannels, long kernel) : base("WN")
    {
        _layers = nLayers;
        _channels = nChannels;
        start = Conv1d(nIn, nChannels, 1);
        end = Conv1d(nChannels, 2 * nIn, 1);
        cond_layer = Conv1d(nMel, 2 * nChannels * nLayers, 1);
        for (var i = 0; i < nLayers; i++)
        {
            var dilation = 1L << i;
            in_layers.Add(Conv1d(nChannels, 2 * nChannels, kernel, dilation: dilation, padding: (kernel * dilation - dilation) / 2));
            // The last layer feeds only the skip sum, so it has half the outputs.
            res_skip_layers.Add(Conv1d(nChannels, i < nLayers - 1 ? 2 * nChannels : nChannels, 1));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor audio, Tensor spect)
    {
        using var scope = NewDisposeScope();
        audio = start.call(audio);
        var output = zeros_like(audio);
        var cond = cond_layer.call(spect);
        var c = _channels;
        for (var i = 0; i < _layers; i++)
        {
            var x = in_layers[i].call(audio) + cond.narrow(1, i * 2 * c, 2 * c);
            var acts = x.narrow(1, 0, c).tanh() * x.narrow(1, c, c).sigmoid();
            var resSkip = res_skip_layers[i].call(acts);
            if (i < _layers - 1)
            {
                audio = audio + resSkip.narrow(1, 0, c);
                output = output + resSkip.narrow(1, c, c);
            }
            else output = output + resSkip;
        }
        return end.call(output).MoveToOuterDisposeScope();
    }
}

/// <summary>The 1x1 convolution with an invertible weight; inference applies its inverse.</summary>
public sealed class Invertible1x1Conv : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv1d conv;
#pragma warning restore IDE1006
    // An array, not a Tensor field: registration would turn a Tensor field into a buffer the checkpoint lacks.
    private readonly Tensor?[] _inverse = new Tensor?[1];

    public Invertible1x1Conv(long c) : base(nameof(Invertible1x1Conv))
    {
        conv = Conv1d(c, c, 1, bias: false);
        RegisterComponents();
    }

    /// <summary>W^-1 as [c, c, 1], computed in float32 as glow.py does. Cached; Reset after new weights are loaded.</summary>
    public Tensor Inverse => _inverse[0] ??= linalg.inv(conv.weight!.squeeze(2).to_type(ScalarType.Float32)).unsqueeze(2).DetachFromDisposeScope();

    public void Reset()
    {
        _inverse[0]?.Dispose();
        _inverse[0] = null;
    }

    /// <summary>The inverse is kept in float32 and cast to the audio's type, as glow.py does for half precision.</summary>
    public override Tensor forward(Tensor audio) => functional.conv1d(audio, audio.dtype == Inverse.dtype ? Inverse : Inverse.to_type(audio.dtype));
}

public sealed class WaveGlow : Module<Tensor, Tensor>
{
    private readonly WaveGlowConfig _config;
    private readonly ConvTranspose1d _upsample;
    private readonly ModuleList<WaveGlowWN> _wn = new();
    private readonly ModuleList<Invertible1x1Conv> _convinv = new();

    public WaveGlow(WaveGlowConfig config) : base(nameof(WaveGlow))
    {
        _config = config;
        // Kernel 1024 and stride 256 (the STFT hop) are hard-coded in the original class, not configuration.
        _upsample = ConvTranspose1d(config.NMelChannels, config.NMelChannels, 1024, stride: 256);
        long half = config.NGroup / 2, remaining = config.NGroup;
        for (var k = 0; k < config.NFlows; k++)
        {
            if (k % config.NEarlyEvery == 0 && k > 0)
            {
                half -= config.NEarlySize / 2;
                remaining -= config.NEarlySize;
            }
            _convinv.Add(new Invertible1x1Conv(remaining));
            _wn.Add(new WaveGlowWN(half, (long)config.NMelChannels * config.NGroup, config.WnLayers, config.WnChannels, config.WnKernelSize));
        }
        RemainingChannels = remaining;
        register_module("upsample", _upsample);
        register_module("WN", _wn);
        register_module("convinv", _convinv);
    }

    /// <summary>Channels of the first noise draw (n_group minus the early outputs).</summary>
    public long RemainingChannels { get; }

    /// <summary>Loads a state dict with or without weight norm.</summary>
    public void Load(string path)
    {
        Models.StateDict.LoadInto(this, FoldWeightNorm(Models.StateDict.Read(path)), path);
        foreach (var c in _convinv) c.Reset();
    }

    /// <summary>weight = g * v / ||v||, the norm per output channel over the other dims (torch's weight_norm, dim 0).
    /// Keys without a weight_g/weight_v pair pass through unchanged.</summary>
    public static Dictionary<string, Tensor> FoldWeightNorm(Dictionary<string, Tensor> tensors)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in tensors)
        {
            if (key.EndsWith(".weight_g") && tensors.TryGetValue(key[..^1] + "v", out var v))
            {
                var dims = Enumerable.Range(1, (int)v.dim() - 1).Select(d => (long)d).ToArray();
                result[key[..^2]] = v * (t / v.pow(2).sum(dims, keepdim: true).sqrt());
            }
            else if (!(key.EndsWith(".weight_v") && tensors.ContainsKey(key[..^1] + "g"))) result[key] = t;
        }
        return result;
    }

    public override Tensor forward(Tensor mel) => Infer(mel, 0.6, shape => randn(shape, dtype: mel.dtype, device: mel.device), null);

    /// <summary>Computes the cached inverses now, so that the first story does not pay for them and no two callers
    /// race to fill the cache.</summary>
    public void PrepareInverses()
    {
        foreach (var c in _convinv) _ = c.Inverse;
    }

    /// <summary>WaveGlow.infer: mel [B, n_mel, T] to audio [B, T*256]. <paramref name="noise"/> returns raw N(0,1) of
    /// the given shape (the fixtures replay recorded draws); <paramref name="observe"/> sees the named intermediates.</summary>
    public Tensor Infer(Tensor mel, double sigma, Func<long[], Tensor> noise, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var spect = _upsample.call(mel);
        observe?.Invoke("upsample_raw", spect);
        const long cutoff = 1024 - 256;
        spect = spect.narrow(2, 0, spect.shape[2] - cutoff);
        observe?.Invoke("spect_upsampled_trimmed", spect);
        var b = spect.shape[0];
        var g = _config.NGroup;
        spect = spect.unfold(2, g, g).permute(0, 2, 1, 3).contiguous();
        spect = spect.view(b, spect.shape[1], -1).permute(0, 2, 1);
        observe?.Invoke("spect_grouped", spect);
        var groups = spect.shape[2];
        var audio = noise([b, RemainingChannels, groups]) * sigma;
        for (var k = _config.NFlows - 1; k >= 0; k--)
        {
            var half = audio.shape[1] / 2;
            var a0 = audio.narrow(1, 0, half);
            var a1 = audio.narrow(1, half, half);
            var output = _wn[k].call(a0, spect);
            observe?.Invoke($"flow{k}_wn_output", output);
            a1 = (a1 - output.narrow(1, 0, half)) / output.narrow(1, half, half).exp();
            audio = _convinv[k].call(cat([a0, a1], 1));
            observe?.Invoke($"convinv{k}_W_inverse", _convinv[k].Inverse);
            observe?.Invoke($"flow{k}_after_convinv", audio);
            if (k % _config.NEarlyEvery == 0 && k > 0)
                audio = cat([noise([b, _config.NEarlySize, groups]) * sigma, audio], 1);
        }
        return audio.permute(0, 2, 1).contiguous().view(b, -1).MoveToOuterDisposeScope();
    }
}
