using NiusTv.Steps.Phonemes;

namespace NiusTv.Steps.Landmarks;

/// <summary>The mouth shape over time from timed phones, with coarticulation: every viseme segment pulls the
/// mouth towards its target with a dominance that is flat inside the segment and decays exponentially outside it
/// (Cohen and Massaro, 1993), and the shape at any instant is the dominance-weighted mean of all targets. That is
/// continuous by construction, so the mouth never jumps between frames, and a short phone between two strong
/// neighbours only partly reaches its target, as in real speech. Bilabials then close the lips completely with a
/// smooth closing and release gesture, because an M that merely narrows the mouth reads as a wrong word.</summary>
public sealed class MouthTrajectory
{
    // Time constants (s) of the dominance decay outside a segment. The opening lingers a little longer after a
    // segment than it shows before it: with these, the mouth opening of Festival speech lines up with its loudness
    // at lag 0 (with 45/50 ms the mouth led the sound by a frame, see Visemes.md).
    public const double OpenAnticipation = 0.030;
    public const double OpenCarryover = 0.065;
    /// <summary>Rounding and spreading reach further (anticipatory lip rounding spans several phones: "strew").</summary>
    public const double ShapeAnticipation = 0.090;
    public const double ShapeCarryover = 0.070;
    /// <summary>Lips start closing this long before a bilabial's held closure (s) and part over this long after it.
    /// Lips close at up to about 200 mm/s; over 70 ms they travel the 10 mm a half-open mouth needs, so the gap
    /// changes by well under half its range per 30 fps frame.</summary>
    public const double ClosureRamp = 0.070;
    public const double ReleaseRamp = 0.060;
    /// <summary>Share of a bilabial's duration with the lips fully closed (its middle); the ramps use the rest.</summary>
    public const double HeldShare = 0.5;

    private readonly record struct Segment(double Start, double End, VisemeTarget Target);

    private readonly Segment[] _segments;
    private readonly (double Start, double End)[] _closures;
    private readonly double _reach;

    private MouthTrajectory(Segment[] segments, (double, double)[] closures)
    {
        _segments = segments;
        _closures = closures;
        // Beyond 8 time constants a dominance weighs less than 1/3000 of its peak: not worth summing.
        _reach = 8 * Math.Max(Math.Max(OpenAnticipation, OpenCarryover), Math.Max(ShapeAnticipation, ShapeCarryover));
    }

    /// <summary>Builds the trajectory from a phone track. Gaps between phones (and the time before the first and
    /// after the last) are silence.</summary>
    /// <param name="minClosure">Shortest time the lips stay fully closed for a bilabial (s): one frame period, so a
    /// 20 ms P still gives a frame with the lips together.</param>
    /// <exception cref="InvalidDataException">A phone is not a CMU phone or SIL, or its times are not finite.</exception>
    public static MouthTrajectory FromPhones(PhoneTrack track, double minClosure)
    {
        var phones = track.Phones.OrderBy(p => p.Start).ToList();
        var segments = new List<Segment>(phones.Count * 2 + 2);
        var closures = new List<(double, double)>();
        var rest = VisemeTable.Target(Viseme.Rest);
        double cursor = double.NegativeInfinity;
        foreach (var p in phones)
        {
            if (!VisemeTable.TryMap(p.Phone, out var visemes))
                throw new InvalidDataException($"phone '{p.Phone}' at {p.Start:0.000} s is neither a CMU phone nor {PhoneTrack.Silence}");
            if (!double.IsFinite(p.Start) || !double.IsFinite(p.End) || p.End < p.Start)
                throw new InvalidDataException($"phone '{p.Phone}' has start {p.Start} and end {p.End}; expected finite times with start ≤ end");
            if (p.Start > cursor) segments.Add(new Segment(cursor, p.Start, rest));
            var start = Math.Max(p.Start, cursor);
            if (p.End <= start) continue; // fully overlapped by the previous phone
            if (visemes.First == visemes.Second)
                segments.Add(new Segment(start, p.End, VisemeTable.Target(visemes.First)));
            else
            {
                var middle = (start + p.End) / 2;
                segments.Add(new Segment(start, middle, VisemeTable.Target(visemes.First)));
                segments.Add(new Segment(middle, p.End, VisemeTable.Target(visemes.Second)));
            }
            if (visemes.First == Viseme.Bilabial)
            {
                // The lips are together for the middle of the phone (the stop's closure), at least one frame period
                // long; the closing and the release take the phone's edges and reach into its neighbours.
                var centre = (start + p.End) / 2;
                var half = Math.Max((p.End - start) * HeldShare, minClosure) / 2;
                closures.Add((centre - half, centre + half));
            }
            cursor = p.End;
        }
        segments.Add(new Segment(cursor, double.PositiveInfinity, rest));
        return new MouthTrajectory([.. segments], [.. closures.OrderBy(c => c.Item1)]);
    }

    /// <summary>The mouth shape at time <paramref name="t"/> (s).</summary>
    public MouthShape At(double t)
    {
        var s = Blend(t);
        double closed = Closure(t);
        return s with { Open = s.Open * (1 - closed), UpperLip = s.UpperLip * (1 - closed) };
    }

    private MouthShape Blend(double t)
    {
        // Segments are sorted and contiguous: find the first one that can still matter.
        int lo = 0, hi = _segments.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_segments[mid].End < t - _reach) lo = mid + 1; else hi = mid;
        }
        double openSum = 0, openWeight = 0, spread = 0, round = 0, upper = 0, shapeWeight = 0;
        for (int i = lo; i < _segments.Length && _segments[i].Start <= t + _reach; i++)
        {
            var s = _segments[i];
            double before = s.Start - t, after = t - s.End;
            double dOpen, dShape;
            if (before > 0)
            {
                dOpen = Math.Exp(-before / OpenAnticipation);
                dShape = Math.Exp(-before / ShapeAnticipation);
            }
            else if (after > 0)
            {
                dOpen = Math.Exp(-after / OpenCarryover);
                dShape = Math.Exp(-after / ShapeCarryover);
            }
            else dOpen = dShape = 1;
            dOpen *= s.Target.OpenDominance;
            dShape *= s.Target.ShapeDominance;
            openSum += dOpen * s.Target.Shape.Open;
            openWeight += dOpen;
            upper += dOpen * s.Target.Shape.UpperLip;
            spread += dShape * s.Target.Shape.Spread;
            round += dShape * s.Target.Shape.Round;
            shapeWeight += dShape;
        }
        double open = openWeight > 0 ? openSum / openWeight : 0;
        double lift = openWeight > 0 ? upper / openWeight : 0;
        return new MouthShape(open, shapeWeight > 0 ? spread / shapeWeight : 0, shapeWeight > 0 ? round / shapeWeight : 0, lift);
    }

    /// <summary>How far the lips are pressed together by bilabials at <paramref name="t"/>: 1 during a closure,
    /// easing (smoothstep) to 0 over the closing ramp before it and the release ramp after it.</summary>
    private double Closure(double t)
    {
        double c = 0;
        foreach (var (start, end) in _closures)
        {
            if (start - ClosureRamp > t) break;
            double v;
            if (t < start) v = Smooth(1 - (start - t) / ClosureRamp);
            else if (t <= end) v = 1;
            else v = Smooth(1 - (t - end) / ReleaseRamp);
            if (v > c) c = v;
        }
        return c;
    }

    private static double Smooth(double x) => x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x);
}
