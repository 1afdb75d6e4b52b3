using NiusTv.Steps.Speech;

namespace NiusTv.Steps.Landmarks;

/// <summary>Measures how well a mouth follows the speech: the loudness envelope of the audio at frame rate, and
/// the correlation (Pearson r) of any per-frame mouth measure with it, at the best small lag. Used on
/// <c>landmarks.json</c> (inner-lip gap) and on rendered frames (the mouth's dark-pixel area).</summary>
public static class LipSync
{
    /// <summary>Inner-lip points whose distance is the mouth opening (0-based iBUG indices).</summary>
    public const int UpperInnerLip = 62, LowerInnerLip = 66;

    /// <summary>RMS of the samples heard while each frame is shown (frame i: [i/fps, (i+1)/fps)), as a fraction of
    /// full scale. Frames past the audio's end get 0.</summary>
    /// <param name="frames">Number of frames; by default <see cref="LandmarkAnimator.FrameCount"/> of the audio.</param>
    public static double[] LoudnessEnvelope(WaveFile wav, int fps, int? frames = null)
    {
        if (fps < 1) throw new ArgumentOutOfRangeException(nameof(fps), fps, "fps must be at least 1");
        var count = frames ?? LandmarkAnimator.FrameCount(wav.Duration, fps);
        var envelope = new double[count];
        var samples = wav.Samples;
        for (int i = 0; i < count; i++)
        {
            long from = (long)Math.Round((double)i * wav.SampleRate / fps);
            long to = Math.Min(samples.Length, (long)Math.Round((double)(i + 1) * wav.SampleRate / fps));
            if (from >= to) continue;
            double sum = 0;
            for (long s = from; s < to; s++) sum += (double)samples[s] * samples[s];
            envelope[i] = Math.Sqrt(sum / (to - from)) / 32768.0;
        }
        return envelope;
    }

    /// <summary>The inner-lip gap (distance of points 62 and 66) of every frame, in the track's pixels.</summary>
    public static double[] MouthOpening(LandmarkTrack track) => track.Frames.Select(f =>
    {
        double dx = f[LowerInnerLip][0] - f[UpperInnerLip][0], dy = f[LowerInnerLip][1] - f[UpperInnerLip][1];
        return Math.Sqrt(dx * dx + dy * dy);
    }).ToArray();

    /// <summary>Pearson's correlation coefficient of two equally long series; 0 when either is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"series of {a.Length} and {b.Length} values cannot be correlated");
        int n = a.Length;
        if (n < 2) return 0;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return saa <= 0 || sbb <= 0 ? 0 : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Pearson r of <paramref name="mouth"/>[i] against <paramref name="loudness"/>[i + lag] over the frames
    /// where both exist. A positive lag means the mouth moves before the sound it matches.</summary>
    public static double CorrelationAtLag(IReadOnlyList<double> mouth, IReadOnlyList<double> loudness, int lag)
    {
        int from = Math.Max(0, -lag), to = Math.Min(mouth.Count, loudness.Count - lag);
        if (to - from < 2) return 0;
        var a = new double[to - from];
        var b = new double[to - from];
        for (int i = from; i < to; i++)
        {
            a[i - from] = mouth[i];
            b[i - from] = loudness[i + lag];
        }
        return Pearson(a, b);
    }

    /// <summary>The lag in [−<paramref name="maxLag"/>, +<paramref name="maxLag"/>] frames with the highest r (the
    /// smallest such lag in magnitude on ties), and r at lag 0.</summary>
    public static LipSyncScore BestLag(IReadOnlyList<double> mouth, IReadOnlyList<double> loudness, int maxLag = 5)
    {
        int best = 0;
        double bestR = CorrelationAtLag(mouth, loudness, 0);
        for (int m = 1; m <= maxLag; m++)
            foreach (var lag in (ReadOnlySpan<int>)[-m, m])
            {
                var r = CorrelationAtLag(mouth, loudness, lag);
                if (r > bestR) (best, bestR) = (lag, r);
            }
        return new LipSyncScore(CorrelationAtLag(mouth, loudness, 0), best, bestR);
    }
}

/// <param name="R">Pearson r at lag 0.</param>
/// <param name="BestLag">Frames by which the mouth leads the sound at the best correlation (negative: it trails).</param>
/// <param name="BestR">Pearson r at <see cref="BestLag"/>.</param>
public sealed record LipSyncScore(double R, int BestLag, double BestR);
