using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Steps;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using Spectre.Console;

namespace NiusTv.Host.Cli;

/// <summary>`nius train presenter NAME`: trains a pix2pixHD generator on a clip presenter's own footage and writes a
/// checkpoint folder the pix2pixhd renderer loads (Render:Pix2PixHD:Checkpoint). Ctrl+C finishes the iteration, writes
/// a resumable checkpoint and exits; --resume continues it.</summary>
public static class TrainPresenterVerb
{
    /// <summary>How long Ctrl+C waits for the checkpoint to be written (an iteration at 512×512 on a CPU takes seconds,
    /// the save and evaluation more).</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMinutes(5);

    public static Command Command()
    {
        var name = new Argument<string>("NAME") { Description = "a presenter made from a clip (nius presenter add NAME --clip FILE)" };
        var output = new Option<string?>("--out") { Description = "checkpoint folder (default <data>/models/pix2pixhd-NAME)" };
        var size = new Option<string>("--size") { Description = "training size WxH, multiples of 16 (the renderer draws the anchor at this height)", DefaultValueFactory = _ => "256x256" };
        var ngf = new Option<int>("--ngf") { Description = "generator width (pix2pixHD's --ngf)", DefaultValueFactory = _ => new TrainingOptions().Ngf };
        var ndf = new Option<int>("--ndf") { Description = "discriminator width (pix2pixHD's --ndf)", DefaultValueFactory = _ => new TrainingOptions().Ndf };
        var iterations = new Option<long?>("--iterations") { Description = "train until this iteration (default 10000)" };
        var epochs = new Option<double?>("--epochs") { Description = "train for this many passes over the training frames instead of --iterations" };
        var batch = new Option<int>("--batch") { Description = "frames per iteration", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var resume = new Option<bool>("--resume") { Description = "continue the run saved in --out from its last checkpoint" };
        var every = new Option<long?>("--checkpoint-every") { Description = "write a checkpoint with eval.json and eval.png every N iterations (default a tenth of the run, at most 1000)" };
        var vgg = new Option<string?>("--vgg19") { Description = "torchvision VGG-19 weights (state_dict .pt): adds pix2pixHD's VGG perceptual loss (default Train:Vgg19Weights)" };
        var cmd = new Command("presenter", "train a pix2pixHD anchor on a clip presenter's own footage (global generator, 2-scale PatchGAN, LSGAN + feature matching); Ctrl+C saves a resumable checkpoint")
            { name, output, size, ngf, ndf, iterations, epochs, batch, device, resume, every, vgg, CommonOptions.Config, CommonOptions.Data, CommonOptions.Json };
        cmd.SetAction((r, ct) =>
        {
            var settings = CommonOptions.NodeSettings(r);
            var json = r.GetValue(CommonOptions.Json);
            var presenterName = r.GetValue(name)!;
            if (r.GetValue(iterations) is not null && r.GetValue(epochs) is not null)
                throw new CliException("--iterations and --epochs: give one of them, not both", 2);
            var (width, height) = ParseSize(r.GetValue(size)!);
            var folder = Path.GetFullPath(r.GetValue(output) ?? Path.Combine(settings.DataPath, "models", "pix2pixhd-" + presenterName));
            try { Steps.Render.Pix2PixHD.Pix2PixHDCheckpoint.ParseDevice(r.GetValue(device)!); }
            catch (CheckpointException bad) { throw new CliException("--device: " + bad.Message, 2); }
            var options = new TrainingOptions
            {
                Width = width, Height = height, Ngf = r.GetValue(ngf), Ndf = r.GetValue(ndf), Batch = r.GetValue(batch),
                Device = r.GetValue(device)!, Vgg19Weights = r.GetValue(vgg) ?? Node.Settings.NodeConfiguration.Read<Node.Settings.TrainSettings>(settings.Configuration).Vgg19Weights,
            };
            if (options.Problem() is { } problem) throw new CliException(problem, 2);
            var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            var interactive = !json && err.Profile.Capabilities.Interactive;

            var library = Node.NodeSteps.Presenters(settings);
            PresenterReference presenter;
            try { presenter = library.Reference(presenterName); }
            catch (StepFailure failure) { throw new CliException(failure.Message, 2); }
            if (presenter.Clip is null)
                throw new CliException($"presenter '{presenterName}' is made from a photo; pix2pixHD trains on a presenter made from a talking clip (nius presenter add NAME --clip FILE)", 2);

            var identity = new TrainingIdentity(presenterName, presenter.Clip.Sha256);
            if (r.GetValue(resume))
            {
                // Before the clip is decoded: a wrong folder is told at once.
                var saved = new TrainingFolder(folder);
                try { saved.ReadState().CheckMatches(options, identity, saved.TrainingJson); }
                catch (CheckpointException ex) { throw new CliException(ex.Message, 2); }
            }
            var clock = Stopwatch.StartNew();
            Log(json, $"reading {presenterName}'s clip into {width}x{height} pairs", new { @event = "reading", presenter = presenterName, width, height });
            TrainingPairs pairs;
            try { pairs = TrainingPairs.FromClip(presenter, width, height, ct: ct); }
            catch (InvalidDataException bad) { throw new CliException(bad.Message); }
            var perEpoch = Math.Max(1, (long)Math.Ceiling(pairs.Train.Count / (double)options.Batch));
            var target = r.GetValue(epochs) is { } e ? (long)Math.Ceiling(e * perEpoch) : r.GetValue(iterations) ?? new TrainingOptions().Iterations;
            if (target < 1) throw new CliException("--iterations/--epochs: at least one iteration", 2);
            options = options with { Iterations = target, CheckpointEvery = r.GetValue(every) ?? Math.Clamp(target / 10, 1, 1000) };
            if (options.Problem() is { } p2) throw new CliException(p2, 2);

            Pix2PixHDTrainer trainer;
            try
            {
                trainer = r.GetValue(resume)
                    ? Pix2PixHDTrainer.Resume(options, pairs, folder, identity)
                    : Pix2PixHDTrainer.Start(options, pairs, folder, identity);
            }
            catch (CheckpointException ex) { throw new CliException(ex.Message, 2); }
            using (trainer)
            {
                Log(json,
                    $"{(r.GetValue(resume) ? $"resuming at iteration {trainer.Iteration}" : "starting")}: {pairs.Train.Count} training frames, {pairs.HeldOut.Count} held out" +
                    (pairs.FramesWithoutFace > 0 ? $", {pairs.FramesWithoutFace} without a face skipped" : "") +
                    (pairs.FramesSkippedForMemory > 0 ? $", {pairs.FramesSkippedForMemory} left out to fit memory" : "") +
                    $"; generator {trainer.GeneratorParameters:N0} parameters, discriminators {trainer.DiscriminatorParameters:N0}; " +
                    $"until iteration {options.Iterations} ({options.Iterations / (double)perEpoch:0.##} epochs) on {options.Device}" +
                    (options.Vgg19Weights is null ? "; no VGG loss (no VGG-19 weights given)" : "; with VGG loss") + $" → {folder}",
                    new
                    {
                        @event = "start", presenter = presenterName, folder, iteration = trainer.Iteration, iterations = options.Iterations,
                        trainFrames = pairs.Train.Count, heldOutFrames = pairs.HeldOut.Count, framesWithoutFace = pairs.FramesWithoutFace,
                        generatorParameters = trainer.GeneratorParameters, discriminatorParameters = trainer.DiscriminatorParameters,
                        vgg = options.Vgg19Weights is not null, seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
                    });
                bool finished;
                try { finished = interactive ? WithBar(err, trainer, ct) : WithLines(trainer, json, ct); }
                catch (TrainingDivergedException diverged) { throw new CliException(diverged.Message); }
                var eval = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(new TrainingFolder(folder).EvalJson));
                if (json)
                    Console.WriteLine(JsonSerializer.Serialize(new { @event = finished ? "done" : "stopped", iteration = trainer.Iteration, folder, eval }));
                else
                    Console.WriteLine(finished
                        ? $"done: iteration {trainer.Iteration}, held-out L1 {eval.GetProperty("l1").GetDouble():0.0000} (untrained {eval.GetProperty("untrainedL1").GetDouble():0.0000}), PSNR {eval.GetProperty("psnr").GetDouble():0.00} dB; render with Render:Renderer=pix2pixhd and Render:Pix2PixHD:Checkpoint={folder}"
                        : $"stopped at iteration {trainer.Iteration}; the checkpoint in {folder} continues with: nius train presenter {presenterName} --out {folder} --resume");
                return Task.FromResult(finished ? 0 : 130);
            }
        });
        return cmd;
    }

    private static (int Width, int Height) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h) && w > 0 && h > 0) return (w, h);
        throw new CliException($"--size: '{text}' is not WIDTHxHEIGHT (for example 256x256)", 2);
    }

    private static void Log(bool json, string line, object evt)
    {
        if (json) Console.WriteLine(JsonSerializer.Serialize(evt));
        else Console.Error.WriteLine(line);
    }

    private static bool WithLines(Pix2PixHDTrainer trainer, bool json, CancellationToken ct)
    {
        // A line every ~2% of the run (at least every 10 iterations) keeps a CI log readable.
        var every = Math.Clamp(trainer.Options.Iterations / 50, 10, 500);
        return trainer.Run(e =>
        {
            switch (e)
            {
                case TrainingStep s when s.Losses.Iteration % every == every - 1 || s.Losses.Iteration + 1 == s.Total:
                    if (json)
                        Console.WriteLine(JsonSerializer.Serialize(new
                        {
                            @event = "progress", iteration = s.Losses.Iteration + 1, iterations = s.Total, gGan = Math.Round(s.Losses.GGan, 4),
                            gFeat = Math.Round(s.Losses.GFeat, 4), gVgg = Math.Round(s.Losses.GVgg, 4), dReal = Math.Round(s.Losses.DReal, 4),
                            dFake = Math.Round(s.Losses.DFake, 4), iterationsPerSecond = Math.Round(s.IterationsPerSecond, 3), etaSeconds = Math.Round(s.EtaSeconds),
                        }));
                    else
                        Console.Error.WriteLine($"iteration {s.Losses.Iteration + 1}/{s.Total}  G_GAN {s.Losses.GGan:0.000} G_Feat {s.Losses.GFeat:0.000}" +
                            $" D_real {s.Losses.DReal:0.000} D_fake {s.Losses.DFake:0.000}  {s.IterationsPerSecond:0.00} it/s  ETA {TimeSpan.FromSeconds(Math.Min(s.EtaSeconds, 3.6e6)):hh\\:mm\\:ss}");
                    break;
                case TrainingCheckpointed c:
                    if (json)
                        Console.WriteLine(JsonSerializer.Serialize(new
                        {
                            @event = "checkpoint", iteration = c.Iteration, folder = c.Folder, heldOutFrames = c.Evaluation.HeldOutFrames,
                            l1 = c.Evaluation.L1, psnr = c.Evaluation.Psnr, untrainedL1 = c.Evaluation.UntrainedL1, untrainedPsnr = c.Evaluation.UntrainedPsnr,
                        }));
                    else Console.Error.WriteLine(CheckpointLine(c));
                    break;
            }
        }, ct);
    }

    private static string CheckpointLine(TrainingCheckpointed c) =>
        $"checkpoint at iteration {c.Iteration}: held-out L1 {c.Evaluation.L1:0.0000} (untrained {c.Evaluation.UntrainedL1:0.0000}), " +
        $"PSNR {c.Evaluation.Psnr:0.00} dB (untrained {c.Evaluation.UntrainedPsnr:0.00}) → {c.Folder}";

    private static bool WithBar(IAnsiConsole err, Pix2PixHDTrainer trainer, CancellationToken ct)
    {
        var finished = false;
        err.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new IterationRateColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: trainer.Options.Iterations);
                task.Value = trainer.Iteration;
                finished = trainer.Run(e =>
                {
                    switch (e)
                    {
                        case TrainingStep s:
                            task.Value = s.Losses.Iteration + 1;
                            task.Description = $"G_Feat {s.Losses.GFeat:0.000} D {0.5 * (s.Losses.DReal + s.Losses.DFake):0.000} {s.IterationsPerSecond:0.00} it/s";
                            break;
                        case TrainingCheckpointed c:
                            err.MarkupLine(Markup.Escape(CheckpointLine(c)));
                            break;
                    }
                }, ct);
            });
        return finished;
    }

    /// <summary>Spectre's speed column speaks in bytes; this one in iterations per second.</summary>
    private sealed class IterationRateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } s ? $"{s:0.00} it/s" : "");
    }
}
