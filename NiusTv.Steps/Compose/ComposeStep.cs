using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using NiusTv.Steps.Init;
using NiusTv.Steps.Render;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;
using SkiaSharp;

namespace NiusTv.Steps.Compose;

/// <summary>Turns the story, its images and the synthesized speech into <c>video.mp4</c> and <c>poster.jpg</c>.
/// Frames are drawn in-process with Skia into a reused pixel buffer, converted to the encoder's 4:2:0 YUV
/// (<see cref="Yuv420"/>) and piped raw into one ffmpeg process that encodes the pictures. Nothing per frame touches
/// the disk. When the render step left an anchor segment (<c>anchor.mkv</c>), a second ffmpeg process decodes it
/// alongside and each of its frames is drawn into the layout's anchor slot at its time. Meanwhile the programme's
/// sound is made apart: the speech brought to the configured loudness (<see cref="Loudness"/>), so every published
/// video plays at the same level, under the brand's music bed if it has one, and encoded as AAC. Pictures and sound
/// are then joined into the MP4 without encoding either again.</summary>
public sealed class ComposeStep : IStoryStep
{
    public static readonly StepDefinition Definition = new("compose",
        inputs: [Artifacts.ImageManifest, Artifacts.ImageFiles, Artifacts.Speech, Artifacts.Timings, Artifacts.Anchor, Artifacts.BrandManifest, Artifacts.BrandFiles],
        outputs: [Artifacts.Video, Artifacts.Poster, Artifacts.CaptionsVtt, Artifacts.CaptionsSrt, Artifacts.CaptionWords],
        PoolSize.OnePer(2)) // ffmpeg uses several threads per encode
    {
        PerRendition = true,
    };

    private readonly ComposeOptions _options;

    public ComposeStep(ComposeOptions options) => _options = options;

    public string Name => Definition.Name;
    public string Backend => "ffmpeg";

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var story = input.Story;
        // A rendition composes at its own size and rate, into its own folder, from its own render's anchor.
        var (width, height, fps) = (input.Output.Width, input.Output.Height, input.Output.Fps);
        var anchorKey = input.Own(Artifacts.Anchor);
        var videoKey = input.Own(Artifacts.Video);
        var posterKey = input.Own(Artifacts.Poster);
        if (width % 2 != 0 || height % 2 != 0 || fps < 1)
            throw StepFailure.Permanent($"output {width}x{height}@{fps} cannot be encoded: width and height must be even and fps at least 1");

        var manifest = ImageManifest.Load(input.PathOf(Artifacts.ImageManifest));
        var timings = SpeechTimings.Load(input.PathOf(Artifacts.Timings));
        var wavPath = input.PathOf(Artifacts.Speech);
        WavInfo wav;
        try { wav = WavInfo.Read(wavPath); }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw StepFailure.Permanent($"{Artifacts.Speech} cannot be read ({e.Message}); run the speech step again", e);
        }
        foreach (var image in manifest.Images) PreparedImage.CheckDecodable(input.Workspace, image);
        string? anchorPath = null;
        if (input.Has(anchorKey))
        {
            anchorPath = input.PathOf(anchorKey);
            if (!File.Exists(anchorPath))
                throw StepFailure.Permanent($"the render step's {Path.GetFileName(anchorPath)} is missing from the workspace; run the render step again");
        }

        var title = Math.Max(0, _options.TitleCardSeconds);
        var totalFrames = Math.Max(1, (int)Math.Round((title + wav.Duration) * fps));
        var videoEnd = (double)totalFrames / fps;

        var layout = new StoryLayout(width, height);
        using var look = BrandLook.For(input, layout);
        // Whitespace and line breaks are not drawn as glyphs, so they are left out of the coverage check.
        var shown = string.Concat(new[] { story.Title, look.Tag }.Concat(story.Paragraphs).Concat(story.Images.Select(i => i.Caption ?? ""))
            .SelectMany(t => t).Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).Distinct());
        using var fonts = new ComposeFonts(_options, layout, look.RegularFont, look.BoldFont, shown);
        var captions = story.Captions.Burns()
            ? CaptionTrack.Build(story, timings, TextWrap.Measure(fonts.Caption), layout.CaptionMaxTextWidth, title, videoEnd)
            : CaptionTrack.Empty;
        var segments = ImageSchedule.Build(story, manifest, timings, title, videoEnd);
        using var renderer = new FrameRenderer(layout, fonts, story, input.Workspace, segments, captions, title, look);

        var videoPath = videoKey.In(input.Workspace);
        var posterPath = posterKey.In(input.Workspace);
        Directory.CreateDirectory(Path.GetDirectoryName(videoPath)!);
        var partial = Path.ChangeExtension(videoPath, $".{Guid.NewGuid():N}.part.mp4");
        var posterPartial = Path.ChangeExtension(posterPath, $".{Guid.NewGuid():N}.part.jpg");
        var loudPartial = Path.ChangeExtension(wavPath, $".{Guid.NewGuid():N}.part.wav");
        var mixPartial = Path.Combine(input.Workspace, $"mix.{Guid.NewGuid():N}.part.wav");
        var programmePartial = Path.Combine(input.Workspace, $"programme.{Guid.NewGuid():N}.part.wav");
        var picturesPartial = Path.ChangeExtension(videoPath, $".{Guid.NewGuid():N}.pictures.part.mp4");
        var soundPartial = Path.ChangeExtension(videoPath, $".{Guid.NewGuid():N}.sound.part.m4a");
        var clips = look.Pack.Intro is not null || look.Pack.Outro is not null;
        double introSeconds = 0;
        double? encodedSoundSeconds = null;
        try
        {
            // The programme's sound (loudness passes, the music bed, AAC) is made by ffmpeg processes of its own while
            // the pictures encode, then the two are joined without re-encoding: made first, it held back the first frame
            // by half a second, and encoded in the pictures' ffmpeg, its AAC encoder shared the thread that feeds x264.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sound = Task.Run(() => ProgrammeSoundAsync(look, wavPath, timings, title, videoEnd, encode: !clips,
                (loudPartial, mixPartial, programmePartial, soundPartial), stop.Token), stop.Token);
            // A sound that fails stops the pictures at once; its failure is the step's.
            _ = sound.ContinueWith(_ => stop.Cancel(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            // The poster is the video's own frame at the poster time, kept as the encode passes it.
            var posterFrame = Math.Clamp((int)Math.Round(PosterTime(segments, captions, title, videoEnd) * fps), 0, totalFrames - 1);
            try
            {
                await EncodePicturesAsync(renderer, width, height, fps, totalFrames, title, anchorPath, picturesPartial,
                    (posterFrame, posterPartial), progress, stop.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && sound.IsFaulted)
            {
                await sound;
                throw;
            }
            catch
            {
                await stop.CancelAsync();
                try { await sound; }
                catch (Exception) { /* the pictures' failure is the one to report */ }
                throw;
            }
            var (audio, audioDelay, encodedSeconds) = await sound;
            encodedSoundSeconds = encodedSeconds;
            if (clips)
            {
                var intro = look.Pack.Intro is { } i ? await ClipJoin.ProbeAsync(Path.Combine(look.Folder!, i), ct) : null;
                var outro = look.Pack.Outro is { } o ? await ClipJoin.ProbeAsync(Path.Combine(look.Folder!, o), ct) : null;
                introSeconds = intro?.Seconds ?? 0;
                await ClipJoin.JoinAsync(_options, intro, outro, picturesPartial, videoEnd, audio, audioDelay, width, height, fps, look.BackTop, partial, ct);
            }
            else await ClipJoin.MuxAsync(_options, picturesPartial, soundPartial, partial, ct);

            File.Move(partial, videoPath, overwrite: true);
            File.Move(posterPartial, posterPath, overwrite: true);
        }
        finally
        {
            TryDelete(partial);
            TryDelete(posterPartial);
            TryDelete(loudPartial);
            TryDelete(mixPartial);
            TryDelete(programmePartial);
            TryDelete(picturesPartial);
            TryDelete(soundPartial);
        }
        var artifacts = new Dictionary<string, string> { [videoKey] = videoKey, [posterKey] = posterKey };
        if (story.Captions.HasSidecar())
        {
            // Cues end within the audio as encoded: AAC ends on a whole frame and may stop a fraction of a
            // millisecond short of the last video frame.
            // With an intro the story, and so every cue, starts that much later; the cues still end with the story.
            var storyEnd = introSeconds + videoEnd;
            // The sound is copied into the video as it was encoded, so its length was known before the join.
            var encoded = encodedSoundSeconds ?? (await MediaProbe.ProbeAsync(videoPath, ct)).Audio?.Duration;
            var audioEnd = encoded is { } d && d > 0 ? Math.Min(d, storyEnd) : storyEnd;
            foreach (var (name, file) in SidecarCaptions.Build(story, timings, introSeconds + title, audioEnd).WriteTo(input.Workspace, input.Rendition?.Name))
                artifacts[name] = file;
        }
        progress.Report(1.0);
        return new StepOutput(artifacts);
    }

    /// <summary>The brand's bed under the normalized speech: its level is set relative to the output target from its
    /// own measured loudness, so a quiet and a loud music file sit the same under the anchor.</summary>
    private async Task MixMusicAsync(BrandLook look, Brands.BrandMusic music, string speech, double title, double videoEnd,
        SpeechTimings timings, string output, CancellationToken ct)
    {
        var bed = Path.Combine(look.Folder!, music.File);
        var measured = await Loudness.MeasureAsync(_options.Ffmpeg, bed, ct);
        if (double.IsNegativeInfinity(measured.Integrated) || measured.Integrated < -69)
            throw StepFailure.Permanent($"{Brands.BrandPack.FileUri(look.Pack.Name, music.File)} (music.file) is silent; a music bed needs audible music");
        var gain = _options.LoudnessLufs + music.Level - measured.Integrated;
        await MusicBed.MixAsync(_options.Ffmpeg, speech, title, videoEnd, bed, gain, music.Duck, MusicBed.SpeechSpans(timings, title), output, ct);
    }

    /// <summary>The programme's sound: the speech at the target loudness, under the brand's music bed if it has one
    /// (normalized again as a whole), and, unless a brand clip join will encode it, AAC in an MP4 file exactly as long
    /// as the pictures.</summary>
    /// <returns>The sound before AAC and how far it is to be delayed (the title card for speech alone, 0 for a
    /// programme mix that already starts with it); and the length of the AAC sound, when it was encoded.</returns>
    private async Task<(string Audio, double Delay, double? EncodedSeconds)> ProgrammeSoundAsync(BrandLook look, string speech, SpeechTimings timings,
        double title, double videoEnd, bool encode, (string Loud, string Mix, string Programme, string Aac) files, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        // AAC is encoded by each loudness pass as it writes the WAV, so the pass that lands on the target leaves its
        // AAC behind with no run of its own. The delay in samples is exact where milliseconds would round; apad lets
        // -t end the audio exactly with the last frame.
        Loudness.SideEncode? Aac(double delaySeconds)
        {
            if (!encode) return null;
            var samples = (long)Math.Round(delaySeconds * Loudness.OutputSampleRate);
            return new(samples > 0 ? $"adelay=delays={samples}S:all=1,apad" : "apad",
                [.. _options.AudioEncoderArgs(), "-t", videoEnd.ToString("0.######", inv), "-f", "mp4", files.Aac]);
        }
        var music = look.Pack.Music;
        await Loudness.NormalizeAsync(_options.Ffmpeg, speech, files.Loud, _options.LoudnessLufs, _options.TruePeakCeilingDbtp, ct,
            music is null ? Aac(title) : null);
        var (audio, delay) = (files.Loud, title);
        if (music is not null)
        {
            // The bed is mixed under speech already at the target, then the whole programme is normalized again:
            // the bed adds loudness, and only the final mix can be held to the target and the true-peak ceiling.
            await MixMusicAsync(look, music, files.Loud, title, videoEnd, timings, files.Mix, ct);
            await Loudness.NormalizeAsync(_options.Ffmpeg, files.Mix, files.Programme, _options.LoudnessLufs, _options.TruePeakCeilingDbtp, ct, Aac(0));
            (audio, delay) = (files.Programme, 0);
        }
        return (audio, delay, encode ? (await MediaProbe.ProbeAsync(files.Aac, ct)).Audio?.Duration : null);
    }

    /// <summary>Draws, converts and encodes every frame into <paramref name="output"/>, an MP4 of pictures only.</summary>
    /// <param name="speechStart">When the speech starts (after the title card): the anchor's first frame belongs there.</param>
    private async Task EncodePicturesAsync(FrameRenderer renderer, int width, int height, int fps, int totalFrames, double speechStart,
        string? anchorPath, string output, (int Frame, string Path) poster, IProgress<double> progress, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "-hide_banner", "-nostats", "-loglevel", "warning", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", $"{width}x{height}", "-r", fps.ToString(inv), "-i", "-",
            "-map", "0:v",
        };
        args.AddRange(_options.VideoEncoderArgs());
        args.AddRange(["-t", ((double)totalFrames / fps).ToString("0.######", inv), "-f", "mp4", output]);

        // The anchor is probed and its decoder started while x264 starts and the title card is drawn: the anchor is
        // first needed as the title card fades out, and waiting for it first held the first frame back by a quarter second.
        var anchorOpening = anchorPath is null ? null : AnchorVideo.OpenAsync(anchorPath, _options.Ffmpeg, ct);
        await using var closeAnchor = new AsyncDisposal(async () => { if (anchorOpening is not null) await (await anchorOpening).DisposeAsync(); });
        var tool = new ExternalTool(_options.Ffmpeg);
        // ffmpeg writes nothing useful to stdout here, but an unread redirected pipe could fill and block it.
        await using var process = tool.Start(args, Path.GetDirectoryName(output), stdout: ToolStdout.Discard);
        await using var killOnCancel = process.KillOnCancel(ct);
        // A whole frame fits in the pipe: the write returns while ffmpeg is still busy with the one before.
        process.WidenPipes(Yuv420.FrameBytes(width, height));

        // Two threads of their own, handing frames over in blocking queues: one draws each frame with Skia into a
        // pinned BGRA buffer and converts it into a free I420 buffer; the other writes full buffers to ffmpeg. Blocking
        // reads and writes wake their thread the moment the pipe allows; awaited ones would each wait again for a pool
        // thread, on two cores that x264 keeps busy.
        var info = new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        var drawn = GC.AllocateUninitializedArray<byte>(width * height * 4, pinned: true);
        using var surface = SKSurface.Create(info, Marshal.UnsafeAddrOfPinnedArrayElement(drawn, 0), width * 4)!;
        var frameBytes = Yuv420.FrameBytes(width, height);
        using var free = new BlockingCollection<byte[]>();
        using var full = new BlockingCollection<byte[]>();
        for (var i = 0; i < 3; i++) free.Add(GC.AllocateUninitializedArray<byte>(frameBytes));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var stdin = process.Stdin;
        var reportEvery = Math.Max(1, Math.Min(fps, totalFrames / 100));
        try
        {
            var drawing = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (var n = 0; n < totalFrames; n++)
                    {
                        var buffer = free.Take(stop.Token);
                        var t = (double)n / fps;
                        var anchorFrame = anchorOpening is not null && renderer.ShowsAnchorAt(t)
                            ? anchorOpening.GetAwaiter().GetResult().FrameAt(t, speechStart)
                            : null;
                        renderer.Render(surface.Canvas, t, anchorFrame);
                        surface.Canvas.Flush();
                        Yuv420.FromBgra(drawn, width, height, buffer);
                        if (n == poster.Frame) WritePoster(surface, poster.Path);
                        full.Add(buffer, stop.Token);
                        if (n % reportEvery == 0) progress.Report((double)n / totalFrames);
                    }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    stop.Cancel();
                    throw;
                }
                finally
                {
                    full.CompleteAdding();
                }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var writing = Task.Factory.StartNew(() =>
            {
                try
                {
                    foreach (var buffer in full.GetConsumingEnumerable(stop.Token))
                    {
                        stdin.Write(buffer, 0, frameBytes);
                        free.Add(buffer);
                    }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    stop.Cancel();
                    throw;
                }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try { await Task.WhenAll(drawing, writing); }
            catch (Exception) { /* the first real failure is picked below */ }
            // A failed write means ffmpeg stopped reading, the likelier cause of a drawing thread that was stopped too.
            if (writing.Exception?.InnerException is { } writeFailure) ExceptionDispatchInfo.Throw(writeFailure);
            if (drawing.Exception?.InnerException is { } drawFailure) ExceptionDispatchInfo.Throw(drawFailure);
            ct.ThrowIfCancellationRequested();
            stdin.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException && !ct.IsCancellationRequested)
        {
            // ffmpeg closed the pipe: it failed; its exit code and stderr say why.
            await process.WaitOrKillAsync(TimeSpan.FromSeconds(10));
            throw StepFailure.Retryable($"ffmpeg stopped while reading frames (exit {process.ExitCodeText}): {Tail(process)}", e);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            process.Kill();
            throw new OperationCanceledException(ct);
        }
        catch
        {
            process.Kill();
            throw;
        }

        await process.WaitAsync(_options.FinishTimeout, ct);
        if (process.ExitCode != 0)
            throw StepFailure.Retryable($"ffmpeg failed (exit {process.ExitCode}): {Tail(process)}");
        if (!File.Exists(output) || new FileInfo(output).Length == 0)
            throw StepFailure.Retryable($"ffmpeg exited without writing the video: {Tail(process)}");
    }

    /// <summary>A frame that shows what the story looks like: a little into the first picture (past the
    /// crossfade, with a caption line up), else a little after the title card.</summary>
    private static double PosterTime(IReadOnlyList<ImageSegment> segments, CaptionTrack captions, double title, double videoEnd)
    {
        var t = segments.Count > 0
            ? segments[0].Start + Math.Min(1.5, (segments[0].End - segments[0].Start) / 2)
            : title + Math.Min(1.5, (videoEnd - title) / 2);
        t = Math.Max(t, title + 0.5);
        if (captions.At(t) is null && captions.Cues.FirstOrDefault(c => c.End > t) is { } next) t = next.Start + 0.01;
        return Math.Min(t, Math.Max(0, videoEnd - 0.001));
    }

    private void WritePoster(SKSurface surface, string path)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, _options.PosterQuality)
            ?? throw StepFailure.Retryable("the poster frame could not be encoded as JPEG");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static string Tail(ToolProcess process) => process.Tail(2000, "(no output on stderr)");

    /// <summary>Runs a clean-up on <c>await using</c>, whatever happened; its own failure (an anchor that never opened,
    /// whose failure was already reported) is not allowed to hide the one being thrown.</summary>
    private sealed class AsyncDisposal(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try { await dispose(); }
            catch (Exception e) when (e is StepFailure or OperationCanceledException or InvalidDataException or IOException) { }
        }
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
