using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Phonemes;

namespace NiusTv.Steps.Render.Footage;

/// <summary>The landmarks of a clip presenter: per output frame the base frame's own face (real head pose,
/// real blinks) with the mouth the phones ask for, in the clip's pixel coordinates. The mouth comes from the same
/// visemes and coarticulation as a photo presenter's (<see cref="MouthTrajectory"/>, <see cref="FaceAnimator"/>),
/// its opening scaled so the widest vowel asks for about the widest mouth the clip shows often (its 99th
/// percentile): a target the clip cannot show would only be matched by the same few frames.</summary>
public static class FootageAnimator
{
    /// <summary>How much of the opening the loudness decides: a viseme opens the mouth by its own amount scaled by
    /// <c>1 − LoudnessShare + LoudnessShare × loudness</c> (loudness relative to the story's 95th percentile, capped
    /// at 1.2). Speakers open the jaw wider on louder, stressed syllables; the visemes alone cannot know which.</summary>
    public const double LoudnessShare = 0.8;

    public static LandmarkTrack Animate(PresenterReference presenter, ClipPresenter clip, PhoneTrack phones, double duration, int fps,
        double[]? loudness = null)
    {
        var gain = LoudnessGain(loudness, LandmarkAnimator.FrameCount(duration, fps));
        var analysis = clip.Analysis;
        var index = analysis.Index;
        var mouth = MouthTrajectory.FromPhones(phones, minClosure: 1.0 / fps);
        var frames = new float[LandmarkAnimator.FrameCount(duration, fps)][][];
        var clipFrames = new int[frames.Length];
        // Open = 0.6 (an "ah" or "eh" as coarticulation leaves it) asks for the clip's widest common opening (OpeningP99 face
        // heights); the rarer wider targets take the widest frames there are.
        var reference = index.Faces[analysis.ReferenceFrame]!;
        double mouthWidth = ClipAnalysis.Dist(reference, 48, 54), faceHeight = ClipAnalysis.Dist(reference, 27, 8);
        double openScale = Math.Clamp(analysis.OpeningP99 * faceHeight / (0.6 * FaceAnimator.MaxGap * mouthWidth), 0.25, 1.5);
        FaceAnimator? animator = null;
        int animatorFrame = -1;
        for (int k = 0; k < frames.Length; k++)
        {
            int b = analysis.BaseFrame(k, fps);
            clipFrames[k] = b;
            if (b != animatorFrame)
            {
                animator = new FaceAnimator(Face(index.Faces[b]!));
                animatorFrame = b;
            }
            var shape = mouth.At(LandmarkAnimator.FrameTime(k, fps));
            shape = shape with { Open = shape.Open * openScale * gain[k] };
            var points = new float[68][];
            for (int p = 0; p < 68; p++) points[p] = new float[2];
            // The base frame's eyes and head stay its own: no synthetic blink or drift on real footage.
            animator!.Frame(shape, 0, (0, 0, 0, 1), points);
            // The eyes and brows are the base frame's as detected (FaceAnimator leaves them; kept exact).
            foreach (var p in points)
            {
                p[0] = MathF.Round(p[0], 2);
                p[1] = MathF.Round(p[1], 2);
            }
            frames[k] = points;
        }
        return new LandmarkTrack(presenter.Name, fps, presenter.Width, presenter.Height, frames) { ClipFrames = clipFrames };
    }

    /// <summary>Per frame, the factor the loudness puts on the opening (1 everywhere without audio).</summary>
    private static double[] LoudnessGain(double[]? loudness, int frames)
    {
        var gain = new double[frames];
        if (loudness is not { Length: > 0 })
        {
            Array.Fill(gain, 1.0);
            return gain;
        }
        // Lightly smoothed (the jaw is slower than the signal), relative to the loud frames of this story.
        var smooth = new double[frames];
        for (int k = 0; k < frames; k++)
        {
            double sum = 0, weight = 0;
            for (int d = -1; d <= 1; d++)
            {
                int i = k + d;
                if (i < 0 || i >= loudness.Length) continue;
                double w = d == 0 ? 4 : 1;
                sum += w * loudness[i];
                weight += w;
            }
            smooth[k] = weight > 0 ? sum / weight : 0;
        }
        var p95 = ClipAnalysis.Percentile(smooth.Where(v => v > 0).ToList(), 0.95);
        for (int k = 0; k < frames; k++)
            gain[k] = 1 - LoudnessShare + LoudnessShare * (p95 > 0 ? Math.Min(1.2, smooth[k] / p95) : 1);
        return gain;
    }

    internal static DetectedFace Face(float[] f)
    {
        var points = new float[68][];
        for (int i = 0; i < 68; i++) points[i] = [f[2 * i], f[2 * i + 1]];
        var box = new FaceBox((int)points.Min(p => p[0]), (int)points.Min(p => p[1]), (int)Math.Ceiling(points.Max(p => p[0])),
            (int)Math.Ceiling(points.Max(p => p[1])));
        return new DetectedFace(box, points);
    }
}
