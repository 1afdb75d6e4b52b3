namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>How a presenter's pix2pixHD generator is trained. The defaults are NVIDIA's pix2pixHD defaults for
/// netG=global (ngf 64, 4 downsamplings, 9 residual blocks; 2-scale PatchGAN of 3 layers, ndf 64; LSGAN plus feature
/// matching with λ 10; Adam 2e-4, β (0.5, 0.999), constant for the first half and linearly down to 0 in the second).</summary>
public sealed record TrainingOptions
{
    public int Width { get; init; } = 256;
    public int Height { get; init; } = 256;
    public int Ngf { get; init; } = 64;
    public int Ndf { get; init; } = 64;
    public int NDownsample { get; init; } = 4;
    public int NBlocks { get; init; } = 9;
    public int DiscriminatorLayers { get; init; } = 3;
    public int DiscriminatorScales { get; init; } = 2;
    public int Batch { get; init; } = 1;
    /// <summary>The iteration training ends at (counted from the start of the first run, not from a resume).</summary>
    public long Iterations { get; init; } = 10_000;
    public string Device { get; init; } = "cpu";
    public int Seed { get; init; } = 1;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.999;
    public double LambdaFeat { get; init; } = 10;
    /// <summary>A checkpoint (with its evaluation) every this many iterations, and at the end.</summary>
    public long CheckpointEvery { get; init; } = 1000;
    /// <summary>Most held-out frames evaluated (evenly spread over those there are).</summary>
    public int EvalFrames { get; init; } = 48;
    /// <summary>torchvision VGG-19 weights (state_dict with features.N.weight): adds pix2pixHD's perceptual loss.</summary>
    public string? Vgg19Weights { get; init; }

    public int SizeMultiple => 1 << NDownsample;

    /// <summary>Null when valid, else one sentence naming the option.</summary>
    public string? Problem()
    {
        if (Width < SizeMultiple || Height < SizeMultiple || Width % SizeMultiple != 0 || Height % SizeMultiple != 0)
            return $"--size {Width}x{Height}: width and height must be positive multiples of {SizeMultiple} (2^{NDownsample} downsamplings)";
        if (Width > 2048 || Height > 2048) return $"--size {Width}x{Height}: at most 2048x2048";
        if (Ngf is < 1 or > 256) return $"--ngf {Ngf}: between 1 and 256";
        if (Ndf is < 1 or > 256) return $"--ndf {Ndf}: between 1 and 256";
        if (Batch is < 1 or > 64) return $"--batch {Batch}: between 1 and 64";
        if (Iterations < 1) return $"--iterations {Iterations}: at least 1";
        if (CheckpointEvery < 1) return $"--checkpoint-every {CheckpointEvery}: at least 1";
        if (Vgg19Weights is { } vgg && !File.Exists(vgg)) return $"VGG-19 weights {vgg}: no such file";
        return null;
    }

    /// <summary>The learning rate of an iteration: constant for the first half, then linearly down to 0.</summary>
    public double LearningRateAt(long iteration)
    {
        var half = Iterations / 2;
        if (iteration < half) return LearningRate;
        return LearningRate * Math.Max(0, Iterations - iteration) / Math.Max(1, Iterations - half);
    }
}
