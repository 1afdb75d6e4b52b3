namespace NiusTv.Steps.Render.Footage;

/// <summary>Mouth-shape classes a presenter clip must cover for speech to be shown with real frames, with the
/// phones that need each.</summary>
public enum MouthClass { Closed, Open, Rounded, Wide, LipToTeeth, Tongue }

/// <summary>How many usable frames of a clip show one mouth-shape class.</summary>
public sealed record MouthCoverage(string Class, string Phones, int Frames, string Verdict);

/// <summary>Spread of a measure over the usable frames: standard deviation and the 5th–95th percentile range.</summary>
public sealed record Spread(double Std, double P5, double P95);

/// <summary>What a presenter clip offers, read from its index: the coverage report of <c>nius presenter add</c>.</summary>
public sealed record ClipReport(int Frames, int FramesWithFace, double FacePercent, int UsableFrames, double Seconds,
    Spread NoseX, Spread NoseY, Spread RollDegrees, Spread Yaw, Spread Pitch, Spread Opening, Spread Width,
    IReadOnlyList<MouthCoverage> Mouths, IReadOnlyList<string> Lacks, double BaseFrom, double BaseSeconds);

/// <summary>Per-frame measures of a clip index, computed once per node: which frames are usable, their mouth
/// opening and width (fractions of the face height, nose bridge 27 to chin 8), nose position, the normalized lip
/// and jaw shape the mouth search compares, the calm stretch the base frames come from and the reference frame.</summary>
public sealed class ClipAnalysis
{
    /// <summary>Length of the stretch of base frames (s): long enough that its ping-pong is not noticed, short
    /// enough to keep its decoded frames in memory.</summary>
    public const double BaseSeconds = 6.0;

    public ClipIndex Index { get; }
    public bool[] Usable { get; }
    public double[] Opening { get; }
    public double[] Width { get; }
    public float[][] Features { get; }
    /// <summary>Per frame, how unlike the base frames it is in lighting and head size: added to its shape cost, so a
    /// mouth from a frame lit or framed differently is taken only when nothing else fits.</summary>
    public float[] ContextCost { get; }
    /// <summary>Usable frame numbers, the mouth search's candidates.</summary>
    public int[] Candidates { get; }
    public int BaseStart { get; }
    public int BaseLength { get; }
    public int ReferenceFrame { get; }
    /// <summary>99th percentile of the usable frames' opening: the widest the clip shows often enough to use.</summary>
    public double OpeningP99 { get; }
    public double MedianFaceHeight { get; }

    public ClipAnalysis(ClipIndex index)
    {
        Index = index;
        int n = index.Count;
        Usable = new bool[n];
        Opening = new double[n];
        Width = new double[n];
        Features = new float[n][];
        ContextCost = new float[n];
        var faceHeights = new List<double>();
        for (int i = 0; i < n; i++)
        {
            var f = index.Faces[i];
            if (f is null) continue;
            double fh = Dist(f, 27, 8), iod = EyeDistance(f);
            if (fh < 20 || iod < 8) continue;
            Usable[i] = true;
            Opening[i] = Dist(f, 62, 66) / fh;
            Width[i] = Dist(f, 48, 54) / fh;
            Features[i] = FootageShape.Feature(f);
            faceHeights.Add(fh);
        }
        // A face that jumps away from two neighbours that agree is a detection slip: not a frame to show.
        for (int i = 1; i < n - 1; i++)
        {
            if (!Usable[i] || !Usable[i - 1] || !Usable[i + 1]) continue;
            var (a, b, c) = (index.Faces[i - 1]!, index.Faces[i]!, index.Faces[i + 1]!);
            double iod = EyeDistance(b);
            if (NoseDist(a, c) < 0.1 * iod && NoseDist(a, b) > 0.25 * iod && NoseDist(b, c) > 0.25 * iod) Usable[i] = false;
        }
        Candidates = Enumerable.Range(0, n).Where(i => Usable[i]).ToArray();
        if (Candidates.Length == 0) return;
        OpeningP99 = Percentile(Candidates.Select(i => Opening[i]).ToList(), 0.99);
        MedianFaceHeight = Percentile(faceHeights, 0.5);
        (BaseStart, BaseLength) = CalmStretch();
        ReferenceFrame = Enumerable.Range(BaseStart, BaseLength).MinBy(i => Opening[i]);
        var baseFrames = Enumerable.Range(BaseStart, BaseLength).ToArray();
        double br = baseFrames.Average(i => index.Colours[3 * i]), bg = baseFrames.Average(i => index.Colours[3 * i + 1]);
        double bb = baseFrames.Average(i => index.Colours[3 * i + 2]);
        double biod = Percentile(baseFrames.Select(i => EyeDistance(index.Faces[i]!)).ToList(), 0.5);
        double byaw = Percentile(baseFrames.Select(i => Pose(index.Faces[i]!).Yaw).ToList(), 0.5);
        double bpitch = Percentile(baseFrames.Select(i => Pose(index.Faces[i]!).Pitch).ToList(), 0.5);
        foreach (var i in Candidates)
        {
            double dr = (index.Colours[3 * i] - br) / 255, dg = (index.Colours[3 * i + 1] - bg) / 255, db = (index.Colours[3 * i + 2] - bb) / 255;
            double scale = Math.Log(EyeDistance(index.Faces[i]!) / biod);
            var (yaw, pitch) = Pose(index.Faces[i]!);
            ContextCost[i] = (float)(ColourWeight * (dr * dr + dg * dg + db * db) + ScaleWeight * scale * scale
                + PoseWeight * ((yaw - byaw) * (yaw - byaw) + (pitch - bpitch) * (pitch - bpitch)));
        }
    }

    /// <summary>Weights of lighting, head size and head turn in <see cref="ContextCost"/>: a mouth warped from a
    /// frame whose head is turned or scaled differently loses detail, and dlib reads it less open.</summary>
    private const double ColourWeight = 8, ScaleWeight = 8, PoseWeight = 4;

    /// <summary>Nose tip offset from the eyes' midpoint along and across the eye line, in eye distances: head yaw
    /// and pitch as far as 68 points tell them.</summary>
    internal static (double Yaw, double Pitch) Pose(float[] f)
    {
        var (lx, ly, rx, ry) = EyeCentres(f);
        double ex = rx - lx, ey = ry - ly, d2 = ex * ex + ey * ey;
        double nx = f[60] - (lx + rx) / 2, ny = f[61] - (ly + ry) / 2;
        return ((nx * ex + ny * ey) / d2, (-nx * ey + ny * ex) / d2);
    }

    public bool HasFaces => Candidates.Length > 0;

    /// <summary>The window of usable frames, <see cref="BaseSeconds"/> long (or the longest run), whose mouth is
    /// most nearly closed and whose head moves least abruptly.</summary>
    private (int Start, int Length) CalmStretch()
    {
        int n = Index.Count;
        int longest = 0, run = 0;
        for (int i = 0; i < n; i++) { run = Usable[i] ? run + 1 : 0; longest = Math.Max(longest, run); }
        int length = Math.Max(1, Math.Min(longest, (int)Math.Round(BaseSeconds * Index.Fps)));
        var cost = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (!Usable[i]) { cost[i] = 1e6; continue; }
            double motion = i > 0 && Usable[i - 1] ? NoseDist(Index.Faces[i - 1]!, Index.Faces[i]!) / EyeDistance(Index.Faces[i]!) : 0;
            cost[i] = Opening[i] + 0.5 * Math.Max(0, motion - 0.02);
        }
        double sum = 0, best = double.MaxValue;
        int bestStart = 0;
        for (int i = 0; i < n; i++)
        {
            sum += cost[i];
            if (i >= length) sum -= cost[i - length];
            if (i >= length - 1 && sum < best) (best, bestStart) = (sum, i - length + 1);
        }
        return (bestStart, length);
    }

    /// <summary>The clip frame shown as the base of output frame <paramref name="k"/> at <paramref name="fps"/>: the
    /// calm stretch played forwards and backwards at the clip's own pace, so head motion and blinks are real and
    /// the sequence never jumps.</summary>
    public int BaseFrame(int k, int fps)
    {
        if (BaseLength <= 1) return BaseStart;
        int period = 2 * (BaseLength - 1);
        int s = (int)Math.Round((double)k * Index.Fps / fps) % period;
        return BaseStart + (s < BaseLength ? s : period - s);
    }

    public ClipReport Report()
    {
        var u = Candidates;
        int withFace = Index.FacesFound;
        var noseX = u.Select(i => (double)Index.Faces[i]![60]).ToList();
        var noseY = u.Select(i => (double)Index.Faces[i]![61]).ToList();
        var roll = new List<double>(); var yaw = new List<double>(); var pitch = new List<double>();
        foreach (var i in u)
        {
            var f = Index.Faces[i]!;
            var (lx, ly, rx, ry) = EyeCentres(f);
            double ex = rx - lx, ey = ry - ly, d = Math.Sqrt(ex * ex + ey * ey);
            roll.Add(Math.Atan2(ey, ex) * 180 / Math.PI);
            double nx = f[60] - (lx + rx) / 2, ny = f[61] - (ly + ry) / 2;
            yaw.Add((nx * ex + ny * ey) / (d * d));
            pitch.Add((-nx * ey + ny * ex) / (d * d));
        }
        var widthMedian = Percentile(u.Select(i => Width[i]).ToList(), 0.5);
        var thickness = u.Select(i => Dist(Index.Faces[i]!, 57, 66) / Dist(Index.Faces[i]!, 27, 8)).ToArray();
        var thicknessMedian = Percentile(thickness.ToList(), 0.5);
        var counts = new int[6];
        for (int k = 0; k < u.Length; k++)
        {
            int i = u[k];
            double o = Opening[i], w = Width[i] / widthMedian;
            if (o < 0.008) counts[(int)MouthClass.Closed]++;
            if (o > 0.05) counts[(int)MouthClass.Open]++;
            if (w < 0.93) counts[(int)MouthClass.Rounded]++;
            if (w > 1.07 && o < 0.05) counts[(int)MouthClass.Wide]++;
            if (o < 0.02 && thickness[k] < 0.75 * thicknessMedian) counts[(int)MouthClass.LipToTeeth]++;
            if (o is > 0.015 and < 0.05 && w >= 0.97) counts[(int)MouthClass.Tongue]++;
        }
        (MouthClass Class, string Name, string Phones)[] classes =
        [
            (MouthClass.Closed, "closed", "P B M"), (MouthClass.Open, "open", "AA AE AH"), (MouthClass.Rounded, "rounded", "OW UW W"),
            (MouthClass.Wide, "wide", "IY EY"), (MouthClass.LipToTeeth, "lip-to-teeth", "F V"), (MouthClass.Tongue, "tongue", "TH"),
        ];
        var mouths = new List<MouthCoverage>();
        var lacks = new List<string>();
        if (withFace < Index.Count)
            lacks.Add($"a face in {Index.Count - withFace} of {Index.Count} frames ({100.0 * (Index.Count - withFace) / Math.Max(1, Index.Count):0.0}%): those frames are never shown");
        foreach (var (cls, name, phones) in classes)
        {
            int c = counts[(int)cls];
            var verdict = c < 10 ? "lacking" : c < 25 ? "few" : "ok";
            mouths.Add(new MouthCoverage(name, phones, c, verdict));
            if (verdict != "ok")
                lacks.Add($"{name} mouths ({phones}): only {c} usable frames; those phones will borrow the nearest shape the clip has");
        }
        if (Percentile(u.Select(i => Opening[i]).ToList(), 0.95) < 0.04)
            lacks.Add("wide-open mouths: 95% of frames open less than 4% of the face height; open vowels will look small");
        lacks.Add("the tongue is not visible to 68 landmarks: TH frames are counted by the small opening it needs, not by the tongue");
        return new ClipReport(Index.Count, withFace, 100.0 * withFace / Math.Max(1, Index.Count), u.Length, Index.Count / Index.Fps,
            SpreadOf(noseX), SpreadOf(noseY), SpreadOf(roll), SpreadOf(yaw), SpreadOf(pitch),
            SpreadOf(u.Select(i => Opening[i]).ToList()), SpreadOf(u.Select(i => Width[i]).ToList()),
            mouths, lacks, Index.From + BaseStart / Index.Fps, BaseLength / Index.Fps);
    }

    private static Spread SpreadOf(List<double> v)
    {
        if (v.Count == 0) return new Spread(0, 0, 0);
        double mean = v.Average(), var = v.Sum(x => (x - mean) * (x - mean)) / v.Count;
        return new Spread(Math.Sqrt(var), Percentile(v, 0.05), Percentile(v, 0.95));
    }

    public static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Round(q * (sorted.Length - 1)), 0, sorted.Length - 1)];
    }

    internal static double Dist(float[] f, int a, int b)
    {
        double dx = f[2 * a] - f[2 * b], dy = f[2 * a + 1] - f[2 * b + 1];
        return Math.Sqrt(dx * dx + dy * dy);
    }

    private static double NoseDist(float[] a, float[] b)
    {
        double dx = a[60] - b[60], dy = a[61] - b[61];
        return Math.Sqrt(dx * dx + dy * dy);
    }

    internal static (double Lx, double Ly, double Rx, double Ry) EyeCentres(float[] f)
    {
        double lx = 0, ly = 0, rx = 0, ry = 0;
        for (int i = 36; i < 42; i++) { lx += f[2 * i]; ly += f[2 * i + 1]; }
        for (int i = 42; i < 48; i++) { rx += f[2 * i]; ry += f[2 * i + 1]; }
        return (lx / 6, ly / 6, rx / 6, ry / 6);
    }

    internal static double EyeDistance(float[] f)
    {
        var (lx, ly, rx, ry) = EyeCentres(f);
        return Math.Sqrt((rx - lx) * (rx - lx) + (ry - ly) * (ry - ly));
    }
}

/// <summary>The normalized lip and jaw shape the mouth search compares: lips (48–67) and chin (5–11) relative to
/// the nose base (33), on the axes of the eye line, in eye distances, so head position, roll and size drop out.</summary>
public static class FootageShape
{
    public static readonly int[] Points = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 5, 6, 7, 8, 9, 10, 11];
    /// <summary>The points' coordinates, then the three inner-lip gaps (61–67, 62–66, 63–65) and the mouth width.</summary>
    public const int Length = 54 + 4;

    /// <summary>How much each point counts: the lips more than the chin; the gaps, what a viewer reads as the
    /// opening, count most of all.</summary>
    private static readonly float[] Weights = Points.Select(p => p < 48 ? 0.4f : 0.6f).ToArray();
    private const float GapWeight = 3f, WidthWeight = 1f;

    public static float[] Feature(float[] f)
    {
        var (lx, ly, rx, ry) = ClipAnalysis.EyeCentres(f);
        double ex = rx - lx, ey = ry - ly, d = Math.Sqrt(ex * ex + ey * ey);
        ex /= d; ey /= d;
        double ax = f[66], ay = f[67];
        var v = new float[Length];
        for (int k = 0; k < Points.Length; k++)
        {
            double dx = f[2 * Points[k]] - ax, dy = f[2 * Points[k] + 1] - ay;
            v[2 * k] = (float)((dx * ex + dy * ey) / d * Weights[k]);
            v[2 * k + 1] = (float)((-dx * ey + dy * ex) / d * Weights[k]);
        }
        // Gaps along the face's vertical (perpendicular to the eye line), width along it.
        (int Upper, int Lower)[] gaps = [(61, 67), (62, 66), (63, 65)];
        for (int g = 0; g < 3; g++)
        {
            double dx = f[2 * gaps[g].Lower] - f[2 * gaps[g].Upper], dy = f[2 * gaps[g].Lower + 1] - f[2 * gaps[g].Upper + 1];
            v[54 + g] = (float)((-dx * ey + dy * ex) / d * GapWeight);
        }
        double wx = f[2 * 54] - f[2 * 48], wy = f[2 * 54 + 1] - f[2 * 48 + 1];
        v[57] = (float)((wx * ex + wy * ey) / d * WidthWeight);
        return v;
    }

    public static float[] Feature(float[][] points)
    {
        var f = new float[136];
        for (int i = 0; i < 68; i++) { f[2 * i] = points[i][0]; f[2 * i + 1] = points[i][1]; }
        return Feature(f);
    }

    public static float Distance(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) { var d = a[i] - b[i]; s += d * d; }
        return s;
    }
}
