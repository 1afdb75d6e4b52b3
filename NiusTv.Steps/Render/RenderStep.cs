using System.Text.Json;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Landmarks;

namespace NiusTv.Steps.Render;

/// <summary>The <c>render</c> step: the landmarks step's <c>landmarks.json</c> → anchor frames at the size of
/// the layout's anchor slot, streamed from the renderer into one ffmpeg process that writes the encoded segment
/// <c>anchor.mkv</c>. No frame touches the disk. A renderer that needs the GPU runs under a grant from
/// <see cref="IGpuAdmission"/> held while it renders.</summary>
public sealed class RenderStep : IStoryStep
{
    public static readonly StepDefinition Definition = new("render", inputs: [Artifacts.Landmarks], outputs: [Artifacts.Anchor],
        PoolSize.OnePer(2)) // the warp renderer draws on one core while its ffmpeg encodes on another
    {
        PerRendition = true,
    };

    private readonly IRenderer _renderer;
    private readonly IPresenterLibrary _presenters;
    private readonly IGpuAdmission? _admission;
    private readonly AnchorEncoding _encoding;
    private readonly IRenderer? _clipRenderer;

    /// <param name="admission">Needed only when <paramref name="renderer"/> needs the GPU.</param>
    /// <param name="clipRenderer">The renderer for presenters made from a clip (<c>footage</c>); null: the one renderer for all.</param>
    public RenderStep(IRenderer renderer, IPresenterLibrary presenters, IGpuAdmission? admission, AnchorEncoding? encoding = null,
        IRenderer? clipRenderer = null)
    {
        _clipRenderer = clipRenderer;
        if (renderer.NeedsGpu && admission is null)
            throw new ArgumentException($"the '{renderer.Name}' renderer needs the GPU, so it needs a GPU admission", nameof(admission));
        _renderer = renderer;
        _presenters = presenters;
        _admission = admission;
        _encoding = encoding ?? new AnchorEncoding();
    }

    public string Name => Definition.Name;
    public string Backend => _renderer.Name;

    /// <summary>The anchor slot of an output size: where compose puts the segment, so its size.</summary>
    public static (int Width, int Height) SlotSize(int outputWidth, int outputHeight)
    {
        var slot = new StoryLayout(outputWidth, outputHeight).AnchorSlot;
        return (slot.Width, slot.Height);
    }

    public async Task<StepOutput> RunAsync(StepInput input, IProgress<double> progress, CancellationToken ct)
    {
        var story = input.Story;
        var landmarksPath = input.PathOf(Artifacts.Landmarks);
        LandmarkTrack track;
        try { track = LandmarkTrack.Load(landmarksPath); }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or NotSupportedException)
        {
            throw StepFailure.Permanent($"{Path.GetFileName(landmarksPath)} cannot be read ({e.Message}); run the landmarks step again", e);
        }
        if (track.Frames is not { Length: > 0 })
            throw StepFailure.Permanent($"{Path.GetFileName(landmarksPath)} holds no frames; run the landmarks step again");
        if (track.Fps < 1)
            throw StepFailure.Permanent($"{Path.GetFileName(landmarksPath)} says fps {track.Fps}; run the landmarks step again");

        var presenter = _presenters.Reference(story.Presenter);
        // Each rendition renders the anchor at the size of its own layout's slot, from the one landmark track.
        var (width, height) = SlotSize(input.Output.Width, input.Output.Height);
        var request = new RenderRequest(story.Id, story.Priority, presenter, track, width, height);
        // A clip presenter is drawn from its own footage, unless the configured renderer learned that presenter; a
        // photo presenter by the configured renderer.
        var renderer = presenter.Clip is not null && _clipRenderer is not null && !_renderer.LearnedPresenter(presenter.Name)
            ? _clipRenderer : _renderer;

        var anchor = input.Own(Artifacts.Anchor);
        var anchorPath = anchor.In(input.Workspace);
        Directory.CreateDirectory(Path.GetDirectoryName(anchorPath)!);
        var partial = Path.ChangeExtension(anchorPath, $".{Guid.NewGuid():N}.part.mkv");
        try
        {
            await RenderAndEncode(renderer, request, partial, progress, ct);
            File.Move(partial, anchorPath, overwrite: true);
        }
        finally
        {
            try { if (File.Exists(partial)) File.Delete(partial); }
            catch (IOException) { }
        }
        progress.Report(1.0);
        return StepOutput.Files([anchor]);
    }

    private async Task RenderAndEncode(IRenderer renderer, RenderRequest request, string output, IProgress<double> progress, CancellationToken ct)
    {
        await using var encoder = new AnchorEncoder(output, request.Width, request.Height, request.Track.Fps, _encoding);
        // The renderer reports its own progress; the last few percent are ffmpeg finishing.
        var scaled = new Progress(progress, 0.97);
        // A renderer that needs the GPU renders under a grant (released before ffmpeg finishes the file).
        if (_admission is null) await renderer.RenderAsync(request, frame => encoder.WriteAsync(frame, ct), scaled, ct);
        else await renderer.RenderAdmittedAsync(_admission, request, frame => encoder.WriteAsync(frame, ct), scaled, ct);
        if (encoder.Frames != request.Track.Frames.Length)
            throw StepFailure.Retryable($"the '{renderer.Name}' renderer gave {encoder.Frames} frames for {request.Track.Frames.Length} landmark frames");
        await encoder.CompleteAsync(ct);
    }

    private sealed class Progress(IProgress<double> inner, double scale) : IProgress<double>
    {
        public void Report(double value) => inner.Report(Math.Clamp(value, 0, 1) * scale);
    }
}
