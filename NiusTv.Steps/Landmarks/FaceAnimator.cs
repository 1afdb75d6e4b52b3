namespace NiusTv.Steps.Landmarks;

/// <summary>Moves a reference face's 68 points (dlib iBUG order, 0-based): the lips and the chin from a
/// <see cref="MouthShape"/>, the eyelids for a blink, and all points for the head's idle pose. Mouth displacements
/// are measured in the reference mouth width, head shifts in the face height, so any photo size works.
///
/// The reference photo may show the lips slightly parted (the default presenter smiles with her teeth showing):
/// the closed mouth is then the inner lips meeting on the line midway between them, and every shape is built from
/// that seam, not from the photo's own opening.</summary>
public sealed class FaceAnimator
{
    /// <summary>Inner-lip gap at <see cref="MouthShape.Open"/> = 1, in mouth widths: an "ah" (Open 0.9) then opens
    /// 0.32 mouth widths, 16 mm on a 50 mm mouth, a little more than fluent speech (about 12-15 mm) because a
    /// slightly clearer mouth reads better on screen.</summary>
    public const double MaxGap = 0.36;
    /// <summary>Share of the opening taken by the upper lip; the jaw carries the lower lip, which moves the rest.</summary>
    public const double UpperShare = 0.3;
    /// <summary>How much of the lower lip's drop the chin follows.</summary>
    public const double JawFollow = 0.8;
    public const double MaxSpread = 0.10, MaxRoundNarrowing = 0.22, MaxUpperLift = 0.08, RoundFullness = 0.035;

    // Inner-lip pairs, upper with the lower point facing it, and how far each opens relative to the centre pair
    // (an open mouth's inner outline is roughly an ellipse: its sides open less than its middle).
    private static readonly (int Upper, int Lower, double Profile)[] InnerPairs = [(61, 67, 0.8), (62, 66, 1.0), (63, 65, 0.8)];
    // Outer-lip points follow an inner point's vertical move, fully in the middle, half near the corners.
    private static readonly (int Outer, int Inner, double Share)[] OuterFollow =
    [
        (49, 61, 0.5), (50, 61, 1.0), (51, 62, 1.0), (52, 63, 1.0), (53, 63, 0.5),
        (59, 67, 0.5), (58, 67, 1.0), (57, 66, 1.0), (56, 65, 1.0), (55, 65, 0.5),
    ];
    // Jaw contour points that follow the chin down, with how much of the drop each takes.
    private static readonly (int Point, double Weight)[] Jaw =
    [
        (3, 0.1), (4, 0.25), (5, 0.5), (6, 0.75), (7, 0.9), (8, 1.0), (9, 0.9), (10, 0.75), (11, 0.5), (12, 0.25), (13, 0.1),
    ];
    // Eyelids: upper lid point and the lower lid point facing it.
    private static readonly (int Upper, int Lower)[] Lids = [(37, 41), (38, 40), (43, 47), (44, 46)];

    private readonly float[][] _reference;
    private readonly double _cx, _cy, _ex, _ey, _nx, _ny, _width;
    private readonly double[] _u = new double[68], _v = new double[68];
    private readonly double[] _seam = new double[68];
    private readonly double _faceHeight, _faceCx, _faceCy;

    public FaceAnimator(DetectedFace face)
    {
        if (face.Points is not { Length: 68 } || face.Points.Any(p => p is not { Length: 2 } || !float.IsFinite(p[0]) || !float.IsFinite(p[1])))
            throw new ArgumentException("a reference face needs 68 finite [x, y] points", nameof(face));
        _reference = face.Points;
        var (l, r) = (face.Points[48], face.Points[54]);
        _width = Math.Sqrt((r[0] - l[0]) * (r[0] - l[0]) + (r[1] - l[1]) * (r[1] - l[1]));
        if (_width < 1) throw new ArgumentException("the reference mouth corners (points 48 and 54) coincide", nameof(face));
        _cx = (l[0] + r[0]) / 2.0;
        _cy = (l[1] + r[1]) / 2.0;
        // The mouth's own axes: along the lips and perpendicular to them, pointing down the face, so a tilted
        // reference head opens its mouth along its own vertical.
        _ex = (r[0] - l[0]) / _width;
        _ey = (r[1] - l[1]) / _width;
        (_nx, _ny) = (-_ey, _ex);
        for (int i = 0; i < 68; i++)
        {
            double dx = face.Points[i][0] - _cx, dy = face.Points[i][1] - _cy;
            _u[i] = dx * _ex + dy * _ey;
            _v[i] = dx * _nx + dy * _ny;
        }
        foreach (var (upper, lower, _) in InnerPairs) _seam[upper] = _seam[lower] = (_v[upper] + _v[lower]) / 2;
        var box = face.Box;
        _faceHeight = box.Height > 0 ? box.Height : _width * 2;
        _faceCx = (box.Left + box.Right) / 2.0;
        _faceCy = (box.Top + box.Bottom) / 2.0;
    }

    /// <summary>The reference mouth width in pixels (corner to corner), the unit of every mouth displacement.</summary>
    public double MouthWidth => _width;

    /// <summary>Inner-lip gap (points 62–66) in pixels for an opening, before head scale.</summary>
    public double GapOf(double open, double upperLip = 0) => (open * MaxGap + upperLip * MaxUpperLift) * _width;

    /// <summary>Writes the 68 points of one frame into <paramref name="points"/> (68 arrays of 2).</summary>
    /// <param name="eyeClosure">0 open, 1 shut.</param>
    /// <param name="pose">Head shift (fractions of the face height), roll (radians), scale.</param>
    public void Frame(MouthShape mouth, double eyeClosure, (double ShiftX, double ShiftY, double Roll, double Scale) pose,
        float[][] points)
    {
        Span<double> u = stackalloc double[68];
        Span<double> v = stackalloc double[68];
        _u.CopyTo(u);
        _v.CopyTo(v);

        double open = Math.Clamp(mouth.Open, 0, 1), spread = Math.Clamp(mouth.Spread, 0, 1);
        double round = Math.Clamp(mouth.Round, 0, 1), lift = Math.Clamp(mouth.UpperLip, 0, 1);
        double gap = open * MaxGap * _width, raise = lift * MaxUpperLift * _width;

        // Inner lips open around the seam; the outer lips keep their thickness by following them.
        Span<double> moved = stackalloc double[68];
        foreach (var (upper, lower, profile0) in InnerPairs)
        {
            // Rounded lips open rounder: the sides open nearly as far as the middle.
            double profile = profile0 + (1 - profile0) * 0.75 * round;
            double upperV = _seam[upper] - (gap * UpperShare + raise) * profile;
            double lowerV = _seam[lower] + gap * (1 - UpperShare) * profile;
            moved[upper] = upperV - v[upper];
            moved[lower] = lowerV - v[lower];
            v[upper] = upperV;
            v[lower] = lowerV;
        }
        foreach (var (outer, inner, share) in OuterFollow) v[outer] += moved[inner] * share;

        // Rounding pushes the lips forward: from the front they look fuller.
        double half = _width / 2;
        for (int i = 49; i <= 53; i++) v[i] -= RoundFullness * _width * round * Math.Max(0, 1 - Math.Abs(u[i]) / half);
        for (int i = 55; i <= 59; i++) v[i] += RoundFullness * _width * round * Math.Max(0, 1 - Math.Abs(u[i]) / half);
        // Spreading pulls the corners back and slightly up.
        v[48] -= 0.015 * _width * spread;
        v[54] -= 0.015 * _width * spread;

        double outerScale = 1 + MaxSpread * spread - MaxRoundNarrowing * round;
        double innerScale = outerScale * (1 - 0.15 * round);
        for (int i = 48; i <= 59; i++) u[i] *= outerScale;
        for (int i = 60; i <= 67; i++) u[i] *= innerScale;

        // The chin follows the jaw, which carries the lower lip.
        double jaw = JawFollow * moved[66];
        foreach (var (p, w) in Jaw) v[p] += jaw * w;

        // Back to image coordinates.
        for (int i = 0; i < 68; i++)
        {
            points[i][0] = (float)(_cx + u[i] * _ex + v[i] * _nx);
            points[i][1] = (float)(_cy + u[i] * _ey + v[i] * _ny);
        }

        // Blink: the upper lid comes down most of the way, the lower lid rises to meet it.
        double c = Math.Clamp(eyeClosure, 0, 1);
        if (c > 0)
            foreach (var (upper, lower) in Lids)
            {
                float[] a = _reference[upper], b = _reference[lower];
                float mx = (float)(0.2 * a[0] + 0.8 * b[0]), my = (float)(0.2 * a[1] + 0.8 * b[1]);
                points[upper][0] = (float)(a[0] + c * (mx - a[0]));
                points[upper][1] = (float)(a[1] + c * (my - a[1]));
                points[lower][0] = (float)(b[0] + c * (mx - b[0]));
                points[lower][1] = (float)(b[1] + c * (my - b[1]));
            }

        // The whole head: roll and scale about the face centre, then shift.
        double cos = Math.Cos(pose.Roll) * pose.Scale, sin = Math.Sin(pose.Roll) * pose.Scale;
        double tx = pose.ShiftX * _faceHeight, ty = pose.ShiftY * _faceHeight;
        for (int i = 0; i < 68; i++)
        {
            double dx = points[i][0] - _faceCx, dy = points[i][1] - _faceCy;
            points[i][0] = (float)(_faceCx + cos * dx - sin * dy + tx);
            points[i][1] = (float)(_faceCy + sin * dx + cos * dy + ty);
        }
    }
}
