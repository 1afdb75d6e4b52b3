using static TorchSharp.torch;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>A convolution whose input and output channels are zero-padded to multiples of 16 and the output cut back:
/// the same sums. Training needs it because libtorch's oneDNN, for channel counts that do not fill its 8- or 16-wide
/// blocks (the 8 labels in, the 3 colours out, the 11 label+colour channels into the discriminator, its 1 score out),
/// read uninitialised memory on this project's AMD EPYC and gave NaN losses or gradients at random (seen with both the
/// AVX2 and the AVX-512 kernels, 2026-12-03); padded, every run was finite.</summary>
internal static class ChannelPaddedConv
{
    private const long Block = 16;

    public static bool Needed(long inChannels, long outChannels) => inChannels % Block != 0 || outChannels % Block != 0;

    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias, long stride, long padding)
    {
        long cout = weight.shape[0], cin = weight.shape[1];
        long padIn = (Block - cin % Block) % Block, padOut = (Block - cout % Block) % Block;
        if (padIn > 0)
        {
            x = cat([x, zeros(new[] { x.shape[0], padIn, x.shape[2], x.shape[3] }, x.dtype, x.device)], 1);
            weight = cat([weight, zeros(new[] { cout, padIn, weight.shape[2], weight.shape[3] }, weight.dtype, weight.device)], 1);
        }
        if (padOut > 0)
        {
            weight = cat([weight, zeros(new[] { padOut, weight.shape[1], weight.shape[2], weight.shape[3] }, weight.dtype, weight.device)], 0);
            if (bias is not null) bias = cat([bias, zeros(new[] { padOut }, bias.dtype, bias.device)], 0);
        }
        var y = nn.functional.conv2d(x, weight, bias, strides: new[] { stride, stride }, padding: new[] { padding, padding });
        return padOut > 0 ? y.narrow(1, 0, cout) : y;
    }
}
