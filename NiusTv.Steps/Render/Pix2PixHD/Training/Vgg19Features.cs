using NiusTv.Steps.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>torchvision's VGG-19 feature layers up to relu5_1 (indices 0–29, keys <c>features.N.weight</c>), frozen,
/// for pix2pixHD's perceptual loss: L1 between the features of the generated and the real frame at relu1_1, relu2_1,
/// relu3_1, relu4_1 and relu5_1, weighted 1/32, 1/16, 1/8, 1/4 and 1. Like pix2pixHD it is fed [-1, 1] images
/// without ImageNet normalisation. No weights ship with the project (none can be downloaded here).</summary>
public sealed class Vgg19Features : Module<Tensor, Tensor[]>
{
    // torchvision's cfg "E" up to relu5_1: channel counts, "M" a 2x2 max pool.
    private static readonly object[] Layout = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512];
    private static readonly int[] SliceEnds = [2, 7, 12, 21, 30];
    private static readonly double[] Weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0];
    private readonly Module<Tensor, Tensor>[] _layers;

    public Vgg19Features() : base(nameof(Vgg19Features))
    {
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var entry in Layout)
        {
            if (entry is string) { layers.Add(MaxPool2d(2, 2)); continue; }
            var c = (int)entry;
            layers.Add(Conv2d(channels, c, 3, padding: 1));
            layers.Add(ReLU());
            channels = c;
        }
        _layers = layers.ToArray();
        register_module("features", Sequential(_layers.Select((l, i) => (i.ToString(), l)).ToArray()));
    }

    /// <summary>Loads the feature layers from a torchvision VGG-19 state dict (its classifier and deeper layers are
    /// ignored) and freezes them.</summary>
    /// <exception cref="CheckpointException">unreadable, or the feature layers missing or of other shapes.</exception>
    public void Load(string path)
    {
        var all = StateDict.Read(path);
        var own = state_dict().Keys.ToHashSet();
        var mine = all.Where(kv => own.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        StateDict.LoadInto(this, mine, path + " (VGG-19 features)");
        foreach (var t in all.Values) t.Dispose();
        foreach (var p in parameters()) p.requires_grad = false;
        eval();
    }

    public override Tensor[] forward(Tensor x)
    {
        var outputs = new Tensor[SliceEnds.Length];
        var current = x;
        var slice = 0;
        for (var i = 0; i < SliceEnds[^1]; i++)
        {
            current = _layers[i].call(current);
            if (i + 1 == SliceEnds[slice]) outputs[slice++] = current;
        }
        return outputs;
    }

    /// <summary>pix2pixHD's VGGLoss (before λ).</summary>
    public Tensor Loss(Tensor generated, Tensor real)
    {
        var g = forward(generated);
        Tensor[] r;
        using (no_grad()) r = forward(real);
        Tensor? sum = null;
        for (var i = 0; i < g.Length; i++)
        {
            var term = functional.l1_loss(g[i], r[i]) * Weights[i];
            sum = sum is null ? term : sum + term;
        }
        return sum!;
    }
}
