using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NiusTv.Steps.Render.Pix2PixHD;

// The module trees below mirror NVIDIA pix2pixHD's models/networks.py so that state_dict keys match the published
// checkpoints: layers without parameters (padding, norm, ReLU, Tanh) keep their nn.Sequential index, and submodules
// are registered under the Python attribute names (model, conv_block, model1_1, ...).

/// <summary>x + [reflect-pad 1, conv 3x3, IN, ReLU, reflect-pad 1, conv 3x3, IN](x); no ReLU after the sum.</summary>
public sealed class ResnetBlock : Module<Tensor, Tensor>
{
    private readonly Sequential _convBlock;

    public ResnetBlock(long dim) : base(nameof(ResnetBlock))
    {
        _convBlock = Sequential(
            ReflectionPad2d(1), Conv2d(dim, dim, 3), Norm(dim), ReLU(),
            ReflectionPad2d(1), Conv2d(dim, dim, 3), Norm(dim));
        register_module("conv_block", _convBlock);
    }

    public override Tensor forward(Tensor x) => x + _convBlock.call(x);

    // pix2pixHD's "instance" norm: no affine parameters and no running statistics, so eval uses per-sample statistics.
    internal static Module<Tensor, Tensor> Norm(long channels) => InstanceNorm2d(channels, eps: 1e-5, affine: false, track_running_stats: false);
}

/// <summary>pix2pixHD's GlobalGenerator (netG=global): stem, stride-2 downsampling, residual blocks, transposed-conv
/// upsampling, 7x7 output conv and tanh.</summary>
public sealed class GlobalGenerator : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor>[] _layers;

    /// <param name="withHead">false builds the LocalEnhancer's global part: the same list without pad, conv, tanh.</param>
    public GlobalGenerator(long inputNc, long outputNc, long ngf, int nDownsampling, int nBlocks, bool withHead = true)
        : base(nameof(GlobalGenerator))
    {
        var layers = new List<Module<Tensor, Tensor>> { ReflectionPad2d(3), Conv2d(inputNc, ngf, 7), ResnetBlock.Norm(ngf), ReLU() };
        for (var i = 0; i < nDownsampling; i++)
        {
            var c = ngf << i;
            layers.AddRange([Conv2d(c, c * 2, 3, stride: 2, padding: 1), ResnetBlock.Norm(c * 2), ReLU()]);
        }
        var bottleneck = ngf << nDownsampling;
        for (var i = 0; i < nBlocks; i++) layers.Add(new ResnetBlock(bottleneck));
        for (var i = 0; i < nDownsampling; i++)
        {
            var c = ngf << (nDownsampling - i);
            // output_padding 1 makes each stage exactly double H and W, as in the original.
            layers.AddRange([ConvTranspose2d(c, c / 2, 3, stride: 2, padding: 1, output_padding: 1), ResnetBlock.Norm(c / 2), ReLU()]);
        }
        if (withHead) layers.AddRange([ReflectionPad2d(3), Conv2d(ngf, outputNc, 7), Tanh()]);
        _layers = layers.ToArray();
        register_module("model", Sequential(_layers.Select((l, i) => (i.ToString(), (Module<Tensor, Tensor>)l)).ToArray()));
    }

    public int LayerCount => _layers.Length;

    /// <summary>Runs convolutions whose channel counts do not fill oneDNN's blocks (labels in, colours out) through
    /// zero-padded channels (Training.ChannelPaddedConv): set while training, where oneDNN otherwise gave NaN at random.</summary>
    public bool PadChannels { get; set; }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>Runs the layers in order; <paramref name="observe"/> sees the output after each Sequential index
    /// (the intermediates the reference fixtures record). Intermediate tensors the caller does not keep are disposed.</summary>
    public Tensor Forward(Tensor x, Action<int, Tensor>? observe)
    {
        var current = x;
        for (var i = 0; i < _layers.Length; i++)
        {
            var next = PadChannels && (i == 1 || i == _layers.Length - 2) && _layers[i] is TorchSharp.Modules.Conv2d conv && Training.ChannelPaddedConv.Needed(conv.weight!.shape[1], conv.weight.shape[0])
                // The stem and head convolutions: stride 1, no padding (the reflection pad before them pads).
                ? Training.ChannelPaddedConv.Forward(current, conv.weight, conv.bias, 1, 0)
                : _layers[i].call(current);
            if (!ReferenceEquals(current, x) && observe is null) current.Dispose();
            current = next;
            observe?.Invoke(i, current);
        }
        return current;
    }
}

/// <summary>pix2pixHD's LocalEnhancer (netG=local): the global generator runs on a 2x average-pooled input and its
/// features are added to a full-resolution branch (model{n}_1) before that branch's upsampler (model{n}_2).</summary>
public sealed class LocalEnhancer : Module<Tensor, Tensor>
{
    private readonly GlobalGenerator _global;
    private readonly Sequential[] _down;
    private readonly Sequential[] _up;
    private readonly AvgPool2d _downsample;

    public LocalEnhancer(Pix2PixHDConfig c) : base(nameof(LocalEnhancer))
    {
        var n = c.NLocalEnhancers;
        _global = new GlobalGenerator(c.InputNc, c.OutputNc, (long)c.NgfLocal << n, c.NDownsampleGlobal, c.NBlocksGlobal, withHead: false);
        // The global part's tensors sit directly under "model.", not "model.model.".
        register_module("model", _global.named_children().Single().module);
        _down = new Sequential[n];
        _up = new Sequential[n];
        for (var e = 1; e <= n; e++)
        {
            long ngf = (long)c.NgfLocal << (n - e);
            _down[e - 1] = Sequential(ReflectionPad2d(3), Conv2d(c.InputNc, ngf, 7), ResnetBlock.Norm(ngf), ReLU(),
                Conv2d(ngf, ngf * 2, 3, stride: 2, padding: 1), ResnetBlock.Norm(ngf * 2), ReLU());
            var up = new List<Module<Tensor, Tensor>>();
            for (var b = 0; b < c.NBlocksLocal; b++) up.Add(new ResnetBlock(ngf * 2));
            up.AddRange([ConvTranspose2d(ngf * 2, ngf, 3, stride: 2, padding: 1, output_padding: 1), ResnetBlock.Norm(ngf), ReLU()]);
            if (e == n) up.AddRange([ReflectionPad2d(3), Conv2d(c.NgfLocal, c.OutputNc, 7), Tanh()]);
            _up[e - 1] = Sequential(up.Select((l, i) => (i.ToString(), l)).ToArray());
            register_module($"model{e}_1", _down[e - 1]);
            register_module($"model{e}_2", _up[e - 1]);
        }
        // count_include_pad false: border averages cover 4 or 6 pixels, not 9.
        _downsample = AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false);
        register_module("downsample", _downsample);
    }

    public GlobalGenerator Global => _global;

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>observe gets "input_downsampled" (the global part's input), "global_features", "branch_features" (of the
    /// last enhancer) and "pre_tanh", the names the reference fixtures record.</summary>
    public Tensor Forward(Tensor input, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var n = _down.Length;
        var pyramid = new List<Tensor> { input };
        for (var i = 0; i < n; i++) pyramid.Add(_downsample.call(pyramid[^1]));
        observe?.Invoke("input_downsampled", pyramid[^1]);
        var output = _global.Forward(pyramid[^1], null);
        observe?.Invoke("global_features", output);
        for (var e = 1; e <= n; e++)
        {
            var branch = _down[e - 1].call(pyramid[n - e]);
            if (e == n) observe?.Invoke("branch_features", branch);
            var up = _up[e - 1];
            var h = branch + output;
            var layers = up.children().Cast<Module<Tensor, Tensor>>().ToArray();
            for (var i = 0; i < layers.Length; i++)
            {
                h = layers[i].call(h);
                if (e == n && i == layers.Length - 2) observe?.Invoke("pre_tanh", h);
            }
            output = h;
        }
        return output.MoveToOuterDisposeScope();
    }
}
