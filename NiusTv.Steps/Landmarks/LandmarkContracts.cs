using System.Text.Json;
using System.Text.Json.Serialization;

namespace NiusTv.Steps.Landmarks;

/// <summary>A face's 68 points in dlib's iBUG 300-W order (0-based): 0–16 jaw, 17–26 brows, 27–35 nose,
/// 36–47 eyes, 48–59 outer lips, 60–67 inner lips. Pixel coordinates of the image they were found in.</summary>
public sealed record FaceBox(int Left, int Top, int Right, int Bottom)
{
    [JsonIgnore] public int Width => Right - Left;
    [JsonIgnore] public int Height => Bottom - Top;
}

/// <param name="Points">68 entries of [x, y].</param>
public sealed record DetectedFace(FaceBox Box, float[][] Points);

/// <summary>dlib's frontal face detector and 68-point shape predictor.</summary>
public interface IFaceLandmarkDetector : IDisposable
{
    /// <summary>Faces in a tightly packed RGB image (3 bytes per pixel, rows top to bottom), largest first.</summary>
    IReadOnlyList<DetectedFace> Detect(ReadOnlySpan<byte> rgb, int width, int height);
}

/// <summary><c>presenters/&lt;name&gt;/presenter.json</c>: who the anchor is and how their photo is framed in the
/// anchor slot.</summary>
/// <param name="Photo">File name of the reference photo inside the presenter folder (null for a clip presenter).</param>
/// <param name="Framing">How the anchor sits in the slot.</param>
public sealed record PresenterManifest(string Name, string? Photo, PresenterFraming Framing, string? Credit = null)
{
    /// <summary>A video of the presenter talking, in the presenter folder, instead of a photo: the <c>footage</c>
    /// renderer takes every mouth shape, the head motion and the blinks from its frames.</summary>
    public string? Clip { get; init; }
    /// <summary>Chroma key of a clip shot in front of a screen: <c>blue</c>, <c>green</c> or <c>#RRGGBB</c>.</summary>
    public string? Key { get; init; }
    /// <summary>How far from the key colour a pixel still counts as screen (0–1, default 0.12).</summary>
    public double? KeyTolerance { get; init; }
    /// <summary>An image in the presenter folder shown behind a keyed presenter.</summary>
    public string? Backdrop { get; init; }
    /// <summary>The part of the clip to use, in seconds.</summary>
    public ClipRange? Use { get; init; }
    /// <summary>The voice stories read by this presenter get when their <c>voice</c> is <c>default</c> (<c>nius voices</c>).</summary>
    public string? Voice { get; init; }
}

/// <param name="To">End (s); null: the end of the clip.</param>
public sealed record ClipRange(double From = 0, double? To = null);

/// <param name="FaceHeight">Height of the face box (brow to chin) as a fraction of the slot height.</param>
/// <param name="FaceCentreY">Vertical position of the face box centre as a fraction of the slot height.</param>
public sealed record PresenterFraming(double FaceHeight = 0.42, double FaceCentreY = 0.40);

/// <summary>A presenter's reference face, detected once per presenter photo (cached by the photo's SHA-256,
/// not per story).</summary>
/// <param name="PhotoPath">Absolute path of the reference photo.</param>
/// <remarks>A clip presenter's photo is its reference frame (a still from the calm stretch, cached beside the
/// index), so renderers that draw a photo can still show it; <see cref="Clip"/> holds what the footage renderer
/// needs.</remarks>
public sealed record PresenterReference(string Name, string PhotoPath, string PhotoSha256, int Width, int Height,
    DetectedFace Face, PresenterFraming Framing)
{
    public NiusTv.Steps.Render.Footage.ClipPresenter? Clip { get; init; }
}

/// <summary>Presenter profiles of this node (<c>presenters/&lt;name&gt;/</c>), with their cached reference faces.</summary>
public interface IPresenterLibrary
{
    IReadOnlyList<string> Names { get; }

    /// <summary>Throws <see cref="StepFailure"/> (permanent) naming the presenter when it is unknown, its
    /// photo is missing or holds no face.</summary>
    PresenterReference Reference(string name);
}

/// <summary><c>landmarks.json</c>, the landmarks step's result: one 68×2 point list per output frame, in the
/// reference photo's pixel coordinates (the renderer maps that photo into the slot). Frame i is shown at
/// i / Fps seconds from the start of <c>speech.wav</c>.</summary>
public sealed record LandmarkTrack(string Presenter, int Fps, int PhotoWidth, int PhotoHeight, float[][][] Frames)
{
    /// <summary>For a clip presenter: the clip frame (index of the presenter index) whose head each frame shows;
    /// <see cref="Frames"/> are then in the clip's pixel coordinates. Null for a photo presenter.</summary>
    public int[]? ClipFrames { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static LandmarkTrack Load(string path) =>
        JsonSerializer.Deserialize<LandmarkTrack>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path} holds no landmarks");

    public void Save(string path)
    {
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, this, Json);
    }
}
