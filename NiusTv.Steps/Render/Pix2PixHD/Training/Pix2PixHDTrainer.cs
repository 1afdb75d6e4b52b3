using System.Diagnostics;
using System.Globalization;
using NiusTv.Steps.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NiusTv.Steps.Render.Pix2PixHD.Training;

/// <summary>What one iteration's losses were (pix2pixHD's names: G_GAN, G_GAN_Feat, G_VGG, D_real, D_fake).</summary>
public sealed record IterationLosses(long Iteration, double GGan, double GFeat, double GVgg, double DReal, double DFake)
{
    public string CsvLine => string.Create(CultureInfo.InvariantCulture, $"{Iteration},{GGan:R},{GFeat:R},{GVgg:R},{DReal:R},{DFake:R}");
}

/// <summary>Training produced NaN or infinite losses; nothing was saved from that iteration on.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>What happened while training, for a progress bar, log lines or JSON events.</summary>
public abstract record TrainingEvent;
public sealed record TrainingStep(IterationLosses Losses, long Total, double IterationsPerSecond, double EtaSeconds) : TrainingEvent;
public sealed record TrainingCheckpointed(long Iteration, string Folder, TrainingEvaluation Evaluation, bool Final) : TrainingEvent;

/// <summary>Trains a presenter's pix2pixHD generator the way NVIDIA's train.py does (global generator, 2-scale
/// PatchGAN, LSGAN plus discriminator feature matching, optional VGG loss, Adam with a linear decay in the second
/// half) and writes checkpoints the renderer loads (<see cref="TrainingFolder"/>). Every random choice of an
/// iteration (its frames and crops) is drawn from the seed and the iteration number, so a resumed run repeats
/// exactly what an uninterrupted one would have done.</summary>
public sealed class Pix2PixHDTrainer : IDisposable
{
    private readonly TrainingOptions _options;
    private readonly TrainingPairs _pairs;
    private readonly TrainingFolder _folder;
    private readonly TrainingIdentity _identity;
    private readonly Device _device;
    private readonly GlobalGenerator _generator;
    private readonly MultiscaleDiscriminator _discriminator;
    private readonly Vgg19Features? _vgg;
    private readonly OptimizerHelper _optimizerG;
    private readonly OptimizerHelper _optimizerD;
    private readonly IReadOnlyList<TrainingPair> _evalPairs;
    private TrainingEvaluation? _untrained;

    private Pix2PixHDTrainer(TrainingOptions options, TrainingPairs pairs, TrainingFolder folder, TrainingIdentity identity)
    {
        _options = options;
        _pairs = pairs;
        _folder = folder;
        _identity = identity;
        _device = Pix2PixHDCheckpoint.ParseDevice(options.Device);
        torch.random.manual_seed(options.Seed);
        _generator = new GlobalGenerator(FaceRegions.Count, 3, options.Ngf, options.NDownsample, options.NBlocks) { PadChannels = true };
        _discriminator = new MultiscaleDiscriminator(FaceRegions.Count + 3, options.Ndf, options.DiscriminatorLayers, options.DiscriminatorScales);
        _generator.to(_device);
        _discriminator.to(_device);
        if (options.Vgg19Weights is { } vgg)
        {
            _vgg = new Vgg19Features();
            _vgg.Load(vgg);
            _vgg.to(_device);
        }
        _optimizerG = optim.Adam(_generator.parameters(), options.LearningRate, options.Beta1, options.Beta2);
        _optimizerD = optim.Adam(_discriminator.parameters(), options.LearningRate, options.Beta1, options.Beta2);
        _evalPairs = TrainingPairs.EvenlySpread(pairs.HeldOut, options.EvalFrames);
    }

    /// <summary>The iteration the next step will be (0 for a fresh run; the saved one after a resume).</summary>
    public long Iteration { get; private set; }

    public TrainingOptions Options => _options;
    public long GeneratorParameters => _generator.parameters().Sum(p => p.numel());
    public long DiscriminatorParameters => _discriminator.parameters().Sum(p => p.numel());

    /// <summary>A fresh run into <paramref name="folder"/> (created; an existing training checkpoint there is refused
    /// so nothing is overwritten by accident: resume it or choose another folder).</summary>
    public static Pix2PixHDTrainer Start(TrainingOptions options, TrainingPairs pairs, string folder, TrainingIdentity identity)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem);
        CheckPairs(options, pairs);
        var target = new TrainingFolder(folder);
        if (target.HoldsTraining)
            throw new CheckpointException($"{target.TrainingJson}: a training checkpoint is already there; continue it with --resume or choose another --out");
        Directory.CreateDirectory(folder);
        var trainer = new Pix2PixHDTrainer(options, pairs, target, identity);
        target.ResetLosses();
        return trainer;
    }

    /// <summary>Continues the run saved in <paramref name="folder"/>: its sizes and presenter must be those asked for
    /// (<paramref name="options"/> may raise the iteration target); the generator, the discriminators, both
    /// optimizers and the iteration come back exactly as saved.</summary>
    /// <exception cref="CheckpointException">a missing, corrupt or mismatched file, named.</exception>
    public static Pix2PixHDTrainer Resume(TrainingOptions options, TrainingPairs pairs, string folder, TrainingIdentity identity)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem);
        CheckPairs(options, pairs);
        var source = new TrainingFolder(folder);
        var saved = source.ReadState();
        saved.CheckMatches(options, identity, source.TrainingJson);
        var trainer = new Pix2PixHDTrainer(options with { Seed = saved.Options.Seed }, pairs, source, identity);
        try
        {
            source.LoadInto(trainer._generator, trainer._discriminator, trainer._optimizerG, trainer._optimizerD);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        trainer.Iteration = saved.Iteration;
        trainer._untrained = saved.Untrained;
        source.TruncateLosses(saved.Iteration);
        return trainer;
    }

    private static void CheckPairs(TrainingOptions options, TrainingPairs pairs)
    {
        if (pairs.Width != options.Width || pairs.Height != options.Height)
            throw new ArgumentException($"the pairs are {pairs.Width}x{pairs.Height}, the options ask for {options.Width}x{options.Height}");
    }

    /// <summary>Trains until <see cref="TrainingOptions.Iterations"/> or until <paramref name="ct"/> is cancelled;
    /// either way the last completed iteration is saved as a resumable checkpoint before this returns.</summary>
    /// <returns>true when the target was reached, false when stopped early.</returns>
    public bool Run(Action<TrainingEvent>? report = null, CancellationToken ct = default)
    {
        _untrained ??= Evaluate();
        var clock = Stopwatch.StartNew();
        var startIteration = Iteration;
        var lastSaved = Iteration;
        using var losses = _folder.AppendLosses();
        while (Iteration < _options.Iterations && !ct.IsCancellationRequested)
        {
            var step = Step();
            if (!double.IsFinite(step.GGan + step.GFeat + step.GVgg + step.DReal + step.DFake))
                throw new TrainingDivergedException($"the losses became NaN or infinite at iteration {Iteration}; the networks were not " +
                    $"saved, the last checkpoint in {_folder.Path} (if any) is intact");
            losses.WriteLine(step.CsvLine);
            Iteration++;
            var done = Iteration - startIteration;
            var rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            report?.Invoke(new TrainingStep(step, _options.Iterations, rate, (_options.Iterations - Iteration) / Math.Max(1e-9, rate)));
            if (Iteration % _options.CheckpointEvery == 0 && Iteration < _options.Iterations)
            {
                losses.Flush();
                report?.Invoke(Save(final: false));
                lastSaved = Iteration;
            }
        }
        losses.Flush();
        if (Iteration != lastSaved || !_folder.HoldsTraining) report?.Invoke(Save(final: Iteration >= _options.Iterations));
        return Iteration >= _options.Iterations;
    }

    /// <summary>One iteration of pix2pixHD: the discriminator scores real and generated pairs, the generator is
    /// stepped on LSGAN + feature matching (+ VGG), the discriminator on LSGAN.</summary>
    public IterationLosses Step()
    {
        var losses = Backward();
        // Outside the dispose scope: Adam creates its moment tensors on its first step, and they must outlive it.
        _optimizerG.step();
        _optimizerD.step();
        return losses;
    }

    /// <summary>Forward and backward of one iteration; leaves each network's gradients for its optimizer.</summary>
    private IterationLosses Backward()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(unchecked(_options.Seed * 1_000_003 + (int)(Iteration % int.MaxValue)));
        var batch = new TrainingPair[_options.Batch];
        var shifts = new int[_options.Batch];
        for (var b = 0; b < batch.Length; b++)
        {
            batch[b] = _pairs.Train[rng.Next(_pairs.Train.Count)];
            shifts[b] = rng.Next(2 * _pairs.Jitter + 1);
        }
        var (labels, real) = _pairs.Batch(batch, shifts, FaceRegions.Count, _device);
        var lr = _options.LearningRateAt(Iteration);
        foreach (var group in _optimizerG.ParamGroups) group.LearningRate = lr;
        foreach (var group in _optimizerD.ParamGroups) group.LearningRate = lr;

        var fake = _generator.call(labels);
        var predFakeForD = _discriminator.forward(cat([labels, fake.detach()], 1));
        var predReal = _discriminator.forward(cat([labels, real], 1));
        var predFake = _discriminator.forward(cat([labels, fake], 1));
        var lossDFake = Gan(predFakeForD, target: 0);
        var lossDReal = Gan(predReal, target: 1);
        var lossGGan = Gan(predFake, target: 1);

        // pix2pixHD: every layer but the score map, each scale weighted 1/scales, each layer 4/(layers + 1), times λ.
        var lossGFeat = zeros(1, device: _device);
        var featWeight = 4.0 / (_options.DiscriminatorLayers + 1) / _discriminator.Scales * _options.LambdaFeat;
        for (var i = 0; i < predFake.Length; i++)
            for (var j = 0; j < predFake[i].Length - 1; j++)
                lossGFeat = lossGFeat + F.l1_loss(predFake[i][j], predReal[i][j].detach()) * featWeight;
        var lossGVgg = _vgg is null ? zeros(1, device: _device) : _vgg.Loss(fake, real) * _options.LambdaFeat;

        // As train.py: the generator's loss first; its gradients reach the discriminator too, so those are cleared
        // before the discriminator's own loss (which sees the generated frames detached) is back-propagated.
        _optimizerG.zero_grad();
        (lossGGan + lossGFeat + lossGVgg).backward();
        _optimizerD.zero_grad();
        ((lossDFake + lossDReal) * 0.5).backward();
        return new IterationLosses(Iteration, lossGGan.item<float>(), lossGFeat.sum().item<float>(), lossGVgg.sum().item<float>(),
            lossDReal.item<float>(), lossDFake.item<float>());
    }

    private static Tensor Gan(Tensor[][] predictions, float target)
    {
        Tensor? sum = null;
        foreach (var scale in predictions)
        {
            var score = scale[^1];
            var loss = F.mse_loss(score, full_like(score, target));
            sum = sum is null ? loss : sum + loss;
        }
        return sum!;
    }

    /// <summary>L1 (mean absolute difference of 0–255 pixel values, divided by 255) and PSNR of the generator's
    /// output on the held-out frames (centred crop), quantised to bytes as the renderer does.</summary>
    public TrainingEvaluation Evaluate()
    {
        using var _ = no_grad();
        double absSum = 0, sqSum = 0;
        long count = 0;
        const int evalBatch = 4;
        for (var start = 0; start < _evalPairs.Count; start += evalBatch)
        {
            using var scope = NewDisposeScope();
            var batch = _evalPairs.Skip(start).Take(evalBatch).ToArray();
            var (labels, real) = _pairs.Batch(batch, Enumerable.Repeat(_pairs.Jitter, batch.Length).ToArray(), FaceRegions.Count, _device);
            var fake = ToBytes(_generator.call(labels)).to_type(ScalarType.Float32);
            var truth = ToBytes(real).to_type(ScalarType.Float32);
            var diff = fake - truth;
            absSum += diff.abs().sum().cpu().item<float>();
            sqSum += diff.square().sum().cpu().item<float>();
            count += diff.numel();
        }
        var mse = sqSum / Math.Max(1, count);
        return new TrainingEvaluation(Iteration, _evalPairs.Count, absSum / Math.Max(1, count) / 255.0,
            mse <= 0 ? 99.0 : 10 * Math.Log10(255.0 * 255.0 / mse));
    }

    /// <summary>[-1, 1] → bytes the way the renderer (pix2pixHD's tensor2im) does: (x + 1) / 2 · 255, clipped, truncated.</summary>
    private static Tensor ToBytes(Tensor image) => ((image + 1) * 127.5).clamp(0, 255).to_type(ScalarType.Byte);

    /// <summary>The generated frames of <paramref name="pairs"/> (centred crop), RGB bytes each.</summary>
    public byte[][] Generate(IReadOnlyList<TrainingPair> pairs)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (labels, _) = _pairs.Batch(pairs, Enumerable.Repeat(_pairs.Jitter, pairs.Count).ToArray(), FaceRegions.Count, _device);
        var rgb = ToBytes(_generator.call(labels)).permute(0, 2, 3, 1).contiguous().cpu();
        var bytes = rgb.bytes.ToArray();
        var frame = _pairs.Width * _pairs.Height * 3;
        return Enumerable.Range(0, pairs.Count).Select(i => bytes.AsSpan(i * frame, frame).ToArray()).ToArray();
    }

    private TrainingCheckpointed Save(bool final)
    {
        var evaluation = Evaluate();
        var sheetPairs = TrainingPairs.EvenlySpread(_pairs.HeldOut, 6);
        var sheet = ContactSheet.Png(_pairs, sheetPairs, Generate(sheetPairs));
        var state = new TrainingState(Iteration, _options, _identity, _untrained!, evaluation, _pairs.Train.Count, _pairs.HeldOut.Count);
        _folder.Write(_generator, _discriminator, _optimizerG, _optimizerD, state, sheet);
        return new TrainingCheckpointed(Iteration, _folder.Path, evaluation with { UntrainedL1 = _untrained!.L1, UntrainedPsnr = _untrained.Psnr }, final);
    }

    public void Dispose()
    {
        _optimizerG.Dispose();
        _optimizerD.Dispose();
        _generator.Dispose();
        _discriminator.Dispose();
        _vgg?.Dispose();
    }
}
