using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using NiusTv.Steps.Stories;

namespace NiusTv.Tests.Render;

/// <summary>Presenters, tracks and requests around <see cref="FaceTemplate"/>, for tests that need landmarks but not a
/// real photo.</summary>
public static class SyntheticFace
{
    public static float[][] Points(FaceBox box, double mouthOpen = 0) => FaceTemplate.Points(box, mouthOpen);

    /// <summary>A 640×480 "photo" with the face box in the middle.</summary>
    public static readonly FaceBox PhotoBox = new(240, 140, 400, 320);

    public static PresenterReference Presenter(PresenterFraming? framing = null) =>
        new("synthetic", "/nonexistent/synthetic.png", new string('0', 64), 640, 480,
            new DetectedFace(PhotoBox, Points(PhotoBox)), framing ?? new PresenterFraming());

    /// <summary>Frames alternating between closed and open mouth in runs of <paramref name="run"/>.</summary>
    public static LandmarkTrack Track(int frames, int run = 3) =>
        new("synthetic", 30, 640, 480, Enumerable.Range(0, frames).Select(i => Points(PhotoBox, (i / run) % 2 == 1 ? 1 : 0)).ToArray());

    public static RenderRequest Request(LandmarkTrack track, int width, int height, StoryPriority priority = StoryPriority.Normal) =>
        new("story-1", priority, Presenter(), track, width, height);
}
