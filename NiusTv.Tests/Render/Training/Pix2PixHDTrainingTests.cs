using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using NiusTv.Tests.Render.Footage;
using Xunit;

namespace NiusTv.Tests.Render.Training;

/// <summary>pix2pixHD trained on the real FGNet clip (scripts/setup caches it) at a small size on the CPU. The pairs
/// are built once for the class from the clip's first minute (its index is shared with the footage tests).</summary>
public sealed class Pix2PixHDTrainingTests(Pix2PixHDTrainingTests.Clip clip) : IClassFixture<Pix2PixHDTrainingTests.Clip>
{
    public sealed class Clip : IDisposable
    {
        public TempFolder Dir { get; } = new();
        public PresenterReference Presenter { get; }
        public TrainingPairs Pairs { get; }
        public TrainingIdentity Identity { get; }

        public Clip()
        {
            var root = Dir.Folder("presenters");
            FootageTestSupport.Presenter(root, "franck", FootageTestSupport.RequireFranck(), new() { ["use"] = new { from = 0, to = 60 } });
            Presenter = FootageTestSupport.Library(root).Reference("franck");
            Pairs = TrainingPairs.FromClip(Presenter, Small.Width, Small.Height);
            Identity = new TrainingIdentity("franck", Presenter.Clip!.Sha256);
        }

        public void Dispose() => Dir.Dispose();
    }

    /// <summary>Small enough for a test: 64×64, ngf 16, a discriminator of ndf 16.</summary>
    public static readonly TrainingOptions Small = new()
    {
        Width = 64, Height = 64, Ngf = 16, Ndf = 16, Batch = 4, Iterations = 400, CheckpointEvery = 100, EvalFrames = 48,
    };

    private static void Say(string line) => TestContext.Current.SendDiagnosticMessage(line);

    [Fact]
    public void Training_lowers_the_held_out_L1_by_at_least_40_percent_against_the_untrained_generator()
    {
        using var dir = new TempFolder();
        using var trainer = Pix2PixHDTrainer.Start(Small, clip.Pairs, dir.Combine("ckpt"), clip.Identity);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TrainingCheckpointed? last = null;
        trainer.Run(e =>
        {
            if (e is TrainingCheckpointed c) { last = c; Say($"iteration {c.Iteration}: held-out L1 {c.Evaluation.L1:0.0000} (untrained {c.Evaluation.UntrainedL1:0.0000}), PSNR {c.Evaluation.Psnr:0.00} dB (untrained {c.Evaluation.UntrainedPsnr:0.00}) after {clock.Elapsed.TotalSeconds:0} s"); }
        }, TestContext.Current.CancellationToken);
        Assert.NotNull(last);
        Assert.True(last!.Evaluation.L1 <= 0.6 * last.Evaluation.UntrainedL1!.Value,
            $"held-out L1 {last.Evaluation.L1:0.0000} is not 40% below the untrained {last.Evaluation.UntrainedL1:0.0000}");
    }
}
