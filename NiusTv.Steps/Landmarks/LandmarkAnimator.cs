using NiusTv.Steps.Phonemes;

namespace NiusTv.Steps.Landmarks;

/// <summary>Timed phones → one 68-point face per output frame: the mouth from the visemes with coarticulation
/// (<see cref="MouthTrajectory"/>), blinks and head drift from the story id (<see cref="IdleMotion"/>), all applied
/// to the presenter's reference face (<see cref="FaceAnimator"/>). Pure computation, no files: the landmarks step
/// and <c>nius bench presenter</c> both call <see cref="Animate"/>.</summary>
public static class LandmarkAnimator
{
    /// <summary>Frames for <paramref name="duration"/> seconds at <paramref name="fps"/>, rounded the way compose
    /// counts its frames, and at least one.</summary>
    public static int FrameCount(double duration, int fps) => Math.Max(1, (int)Math.Round(duration * fps));

    /// <summary>The instant frame <paramref name="index"/> depicts: the middle of the 1/fps interval it is on screen
    /// (from index/fps on), so the face matches the sound heard while the frame is shown.</summary>
    public static double FrameTime(int index, int fps) => (index + 0.5) / fps;

    /// <summary>Animates the presenter's face over <paramref name="duration"/> seconds of speech.</summary>
    /// <param name="storyId">Seeds blinks and head motion: the same story always gives the same frames.</param>
    /// <exception cref="InvalidDataException">The phone track holds a phone that is not a CMU phone or SIL.</exception>
    /// <param name="loudness">For a clip presenter: the speech's loudness per output frame
    /// (<see cref="LipSync.LoudnessEnvelope"/>), which scales its mouth's opening. Ignored for a photo presenter.</param>
    public static LandmarkTrack Animate(PresenterReference presenter, PhoneTrack phones, double duration, int fps, string storyId,
        double[]? loudness = null)
    {
        if (fps < 1) throw new ArgumentOutOfRangeException(nameof(fps), fps, "fps must be at least 1");
        if (!double.IsFinite(duration) || duration < 0)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "duration must be a finite number of seconds, 0 or more");
        if (presenter.Clip is { } clip) return Render.Footage.FootageAnimator.Animate(presenter, clip, phones, duration, fps, loudness);
        var face = new FaceAnimator(presenter.Face);
        var mouth = MouthTrajectory.FromPhones(phones, minClosure: 1.0 / fps);
        var idle = new IdleMotion(storyId);
        var frames = new float[FrameCount(duration, fps)][][];
        for (int i = 0; i < frames.Length; i++)
        {
            var t = FrameTime(i, fps);
            var points = new float[68][];
            for (int p = 0; p < 68; p++) points[p] = new float[2];
            face.Frame(mouth.At(t), idle.EyeClosure(t), idle.HeadPose(t), points);
            // Hundredths of a pixel are far below what any renderer can show, and the shorter numbers make
            // landmarks.json about a quarter smaller (a 5-minute story at 30 fps: 9.6 MB instead of 13.2).
            foreach (var p in points)
            {
                p[0] = MathF.Round(p[0], 2);
                p[1] = MathF.Round(p[1], 2);
            }
            frames[i] = points;
        }
        return new LandmarkTrack(presenter.Name, fps, presenter.Width, presenter.Height, frames);
    }
}
