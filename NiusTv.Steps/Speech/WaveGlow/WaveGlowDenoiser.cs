using TorchSharp;
using static TorchSharp.torch;

namespace NiusTv.Steps.Speech.WaveGlow;

/// <summary>NVIDIA/waveglow denoiser.py: WaveGlow hisses a little even on silence. The hiss spectrum ("bias") is the
/// STFT magnitude of what WaveGlow makes from an all-zero mel with sigma 0, first frame; denoising subtracts
/// strength × bias from every frame's magnitude (clamped at 0) and resynthesizes with the original phases.
/// STFT as in the original: 1024-point Hann window, hop 256, reflection padding at both ends (torch.stft/istft with
/// center, which is what its conv-based STFT computes).</summary>
public sealed class WaveGlowDenoiser : IDisposable
{
    private const long FilterLength = 1024, HopLength = 256, WinLength = 1024;
    /// <summary>Mel frames of the zero input, as denoiser.py uses.</summary>
    private const long BiasFrames = 88;

    private readonly Tensor _window;
    private readonly Tensor _bias;

    /// <summary>Runs <paramref name="waveglow"/> once; call with gradients off, on the model's device.</summary>
    public WaveGlowDenoiser(WaveGlow waveglow, int melChannels, Device device, ScalarType modelType)
    {
        using var scope = NewDisposeScope();
        var mel = zeros(1, melChannels, BiasFrames, dtype: modelType, device: device);
        var audio = waveglow.Infer(mel, 0.0, shape => zeros(shape, dtype: modelType, device: device), null).to_type(ScalarType.Float32);
        _window = hann_window(WinLength, device: device).DetachFromDisposeScope();
        var spec = Stft(audio).abs();
        _bias = spec.narrow(2, 0, 1).DetachFromDisposeScope(); // [1, freq, 1]
    }

    /// <summary>Magnitude of the hiss per frequency bin, [FilterLength/2 + 1].</summary>
    public Tensor Bias => _bias.view(-1);

    /// <summary>audio [1, N] (any float type) to denoised float32 audio [1, N].</summary>
    public Tensor Apply(Tensor audio, double strength)
    {
        using var scope = NewDisposeScope();
        var x = audio.to_type(ScalarType.Float32);
        var length = x.shape[1];
        // Reflection padding needs more than half a window of signal; a very short sentence is padded with silence.
        if (length <= FilterLength / 2) x = nn.functional.pad(x, [0, FilterLength - length]);
        var spec = Stft(x);
        var magnitude = (spec.abs() - _bias * strength).clamp_min(0.0);
        var denoised = polar(magnitude, spec.angle());
        var result = istft(denoised, FilterLength, HopLength, WinLength, _window, center: true, length: x.shape[1]).narrow(1, 0, length);
        return result.MoveToOuterDisposeScope();
    }

    private Tensor Stft(Tensor audio) =>
        stft(audio, FilterLength, HopLength, WinLength, _window, center: true, pad_mode: PaddingModes.Reflect, return_complex: true);

    public void Dispose()
    {
        _window.Dispose();
        _bias.Dispose();
    }
}
