using System.Text;
using NiusTv.Steps.Landmarks;

namespace NiusTv.Steps.Render.Footage;

/// <summary>The presenter index of a clip: dlib's 68 points for every decoded frame of the clip's used range (null
/// where no face was found), at the decoded size. Built once per clip content and range (cached by the clip's
/// SHA-256), so stories never pay for detection.</summary>
public sealed class ClipIndex
{
    private const string Magic = "NIUSCLIP2";

    public required string ClipSha256 { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required double Fps { get; init; }
    /// <summary>Start of the used range in the clip (s); frame i of the index is at <c>From + i / Fps</c>.</summary>
    public required double From { get; init; }
    /// <summary>68 × (x, y) per frame, or null where no face was found.</summary>
    public required float[]?[] Faces { get; init; }
    /// <summary>Mean RGB of the lower face (mouth corners across, nose base to chin) per frame; zeros without a face.
    /// Lighting and white balance drift over a clip: the mouth search prefers frames lit like the base frames.</summary>
    public required float[] Colours { get; init; }

    public int Count => Faces.Length;
    public int FacesFound => Faces.Count(f => f is not null);

    /// <summary>Decodes the clip's frames through ffmpeg and finds the face in each. Around the face of the frame
    /// before, only a crop is searched (a quarter of the pixels, so about half the time); the whole frame is
    /// searched when that finds nothing.</summary>
    /// <exception cref="InvalidDataException">ffmpeg cannot decode the clip.</exception>
    public static ClipIndex Build(string clip, string sha256, ClipVideoInfo info, double from, double? to,
        IFaceLandmarkDetector detector, IProgress<(int Done, int Total)>? progress, CancellationToken ct = default)
    {
        var total = Math.Max(1, (int)Math.Round(((to ?? info.Duration) - from) * info.Fps));
        var faces = new List<float[]?>(total);
        var colours = new List<float>(total * 3);
        FaceBox? previous = null;
        byte[] crop = [];
        ClipVideo.Decode(clip, info, from, to, (i, rgb) =>
        {
            ct.ThrowIfCancellationRequested();
            float[]? found = null;
            if (previous is { } box)
            {
                int margin = Math.Max(box.Width, box.Height) * 3 / 4;
                int x0 = Math.Max(0, box.Left - margin), y0 = Math.Max(0, box.Top - margin);
                int x1 = Math.Min(info.Width, box.Right + margin), y1 = Math.Min(info.Height, box.Bottom + margin);
                int cw = x1 - x0, ch = y1 - y0;
                if (cw > 40 && ch > 40 && cw * ch < info.Width * info.Height * 3 / 4)
                {
                    if (crop.Length < cw * ch * 3) crop = new byte[cw * ch * 3];
                    for (int y = 0; y < ch; y++)
                        Buffer.BlockCopy(rgb, ((y0 + y) * info.Width + x0) * 3, crop, y * cw * 3, cw * 3);
                    var detected = detector.Detect(crop.AsSpan(0, cw * ch * 3), cw, ch);
                    if (detected.Count > 0) (found, previous) = (Flatten(detected[0], x0, y0), Shift(detected[0].Box, x0, y0));
                }
            }
            if (found is null)
            {
                var detected = detector.Detect(rgb, info.Width, info.Height);
                if (detected.Count > 0) (found, previous) = (Flatten(detected[0], 0, 0), detected[0].Box);
                else previous = null;
            }
            faces.Add(found);
            var (r, g, b) = found is null ? (0f, 0f, 0f) : LowerFaceColour(rgb, info.Width, info.Height, found);
            colours.Add(r); colours.Add(g); colours.Add(b);
            if (i % 10 == 0) progress?.Report((i + 1, Math.Max(total, i + 1)));
            return true;
        }, ct);
        progress?.Report((faces.Count, faces.Count));
        return new ClipIndex
        {
            ClipSha256 = sha256, Width = info.Width, Height = info.Height, Fps = info.Fps, From = from, Faces = faces.ToArray(),
            Colours = colours.ToArray(),
        };
    }

    private static (float R, float G, float B) LowerFaceColour(byte[] rgb, int width, int height, float[] f)
    {
        int x0 = Math.Clamp((int)f[2 * 48], 0, width - 1), x1 = Math.Clamp((int)f[2 * 54], x0, width - 1);
        int y0 = Math.Clamp((int)f[2 * 33 + 1], 0, height - 1), y1 = Math.Clamp((int)f[2 * 8 + 1], y0, height - 1);
        double r = 0, g = 0, b = 0;
        int n = 0;
        for (int y = y0; y <= y1; y += 2)
            for (int x = x0; x <= x1; x += 2)
            {
                int i = (y * width + x) * 3;
                r += rgb[i]; g += rgb[i + 1]; b += rgb[i + 2];
                n++;
            }
        return n == 0 ? (0, 0, 0) : ((float)(r / n), (float)(g / n), (float)(b / n));
    }

    private static FaceBox Shift(FaceBox b, int dx, int dy) => new(b.Left + dx, b.Top + dy, b.Right + dx, b.Bottom + dy);

    private static float[] Flatten(DetectedFace face, int dx, int dy)
    {
        var p = new float[136];
        for (int i = 0; i < 68; i++)
        {
            p[2 * i] = face.Points[i][0] + dx;
            p[2 * i + 1] = face.Points[i][1] + dy;
        }
        return p;
    }

    public void Save(string path)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = File.Create(temp))
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(ClipSha256);
            w.Write(Width);
            w.Write(Height);
            w.Write(Fps);
            w.Write(From);
            w.Write(Faces.Length);
            foreach (var f in Faces)
            {
                w.Write(f is not null);
                if (f is not null) foreach (var v in f) w.Write(v);
            }
            foreach (var c in Colours) w.Write(c);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The cached index, or null when the file is missing, damaged or made for other content.</summary>
    public static ClipIndex? TryLoad(string path, string sha256)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic || r.ReadString() != sha256) return null;
            int width = r.ReadInt32(), height = r.ReadInt32();
            double fps = r.ReadDouble(), from = r.ReadDouble();
            var faces = new float[]?[r.ReadInt32()];
            for (int i = 0; i < faces.Length; i++)
            {
                if (!r.ReadBoolean()) continue;
                var f = new float[136];
                for (int j = 0; j < 136; j++) f[j] = r.ReadSingle();
                faces[i] = f;
            }
            var colours = new float[faces.Length * 3];
            for (int i = 0; i < colours.Length; i++) colours[i] = r.ReadSingle();
            return new ClipIndex { ClipSha256 = sha256, Width = width, Height = height, Fps = fps, From = from, Faces = faces, Colours = colours };
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException) { return null; }
    }
}
