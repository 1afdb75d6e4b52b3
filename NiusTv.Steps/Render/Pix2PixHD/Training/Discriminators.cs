using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

// Mirrors pix2pixHD's networks.py NLayerDiscriminator/MultiscaleDiscriminator with getIntermFeat (feature matching
// needs every layer's output), so a saved netD has NVIDIA's key names: scale{i}_layer{j}.{k}.weight.

/// <summary>A PatchGAN: 4×4 convolutions, stride 2 for the first <c>nLayers</c>, then stride 1, leaky ReLU 0.2,
/// instance norm without affine parameters after every convolution but the first and the last. Returns every
/// layer group's output; the last is the patch score map.</summary>
public sealed class PatchDiscriminator : Module<Tensor, Tensor[]>
{
    private readonly Sequential[] _groups;

    public PatchDiscriminator(long inputNc, long ndf = 64, int nLayers = 3) : base(nameof(PatchDiscriminator))
    {
        // padw = ceil((kw - 1) / 2) = 2 for kw 4, as in the original.
        const long kw = 4, pad = 2;
        var groups = new List<Sequential> { Sequential(Conv2d(inputNc, ndf, kw, stride: 2, padding: pad), LeakyReLU(0.2)) };
        var nf = ndf;
        for (var n = 1; n < nLayers; n++)
        {
            var previous = nf;
            nf = Math.Min(nf * 2, 512);
            groups.Add(Sequential(Conv2d(previous, nf, kw, stride: 2, padding: pad), Norm(nf), LeakyReLU(0.2)));
        }
        var last = nf;
        nf = Math.Min(nf * 2, 512);
        groups.Add(Sequential(Conv2d(last, nf, kw, stride: 1, padding: pad), Norm(nf), LeakyReLU(0.2)));
        groups.Add(Sequential(Conv2d(nf, 1, kw, stride: 1, padding: pad)));
        _groups = groups.ToArray();
        for (var i = 0; i < _groups.Length; i++) register_module($"model{i}", _groups[i]);
    }

    public IReadOnlyList<Sequential> Groups => _groups;

    public override Tensor[] forward(Tensor x)
    {
        var outputs = new Tensor[_groups.Length];
        var current = outputs[0] = First(x);
        for (var i = 1; i < _groups.Length - 1; i++) current = outputs[i] = _groups[i].call(current);
        outputs[^1] = Last(current);
        return outputs;
    }

    /// <summary>The first and the last group run their convolution through <see cref="ChannelPaddedConv"/> (11
    /// channels in, 1 score out).</summary>
    private Tensor First(Tensor x)
    {
        var conv = (Conv2d)_groups[0].children().First();
        return functional.leaky_relu(ChannelPaddedConv.Forward(x, conv.weight!, conv.bias, 2, 2), 0.2);
    }

    private Tensor Last(Tensor x)
    {
        var conv = (Conv2d)_groups[^1].children().First();
        return ChannelPaddedConv.Forward(x, conv.weight!, conv.bias, 1, 2);
    }

    private static Module<Tensor, Tensor> Norm(long channels) => InstanceNorm2d(channels, eps: 1e-5, affine: false, track_running_stats: false);
}

/// <summary>pix2pixHD's multi-scale discriminator: the same PatchGAN design at full resolution and on inputs
/// average-pooled by 2 per further scale, each with its own weights. <see cref="forward"/> returns, finest scale
/// first, each scale's layer outputs.</summary>
public sealed class MultiscaleDiscriminator : Module<Tensor, Tensor[][]>
{
    private readonly PatchDiscriminator[] _scales;
    private readonly AvgPool2d _downsample;

    public MultiscaleDiscriminator(long inputNc, long ndf = 64, int nLayers = 3, int scales = 2) : base(nameof(MultiscaleDiscriminator))
    {
        if (scales < 1) throw new ArgumentOutOfRangeException(nameof(scales), "a discriminator needs at least one scale");
        _scales = new PatchDiscriminator[scales];
        for (var i = 0; i < scales; i++)
        {
            _scales[i] = new PatchDiscriminator(inputNc, ndf, nLayers);
            // The original keeps the layer groups directly on the multi-scale module: scale{i}_layer{j}. Scale
            // (scales - 1) sees the full-resolution input.
            foreach (var (group, j) in _scales[i].Groups.Select((g, j) => (g, j))) register_module($"scale{i}_layer{j}", group);
        }
        _downsample = AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false);
        register_module("downsample", _downsample);
    }

    public int Scales => _scales.Length;

    public override Tensor[][] forward(Tensor input)
    {
        var results = new Tensor[_scales.Length][];
        var current = input;
        for (var i = 0; i < _scales.Length; i++)
        {
            results[i] = _scales[_scales.Length - 1 - i].forward(current);
            if (i != _scales.Length - 1) current = _downsample.call(current);
        }
        return results;
    }
}
