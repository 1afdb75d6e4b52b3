using NiusTv.Steps.Landmarks;
using Xunit;

namespace NiusTv.Tests.Landmarks;

public sealed class IdleMotionTests
{
    private const int Fps = 30;

    private static double EyeOpening(float[][] f) =>
        (f[41][1] - f[37][1] + f[40][1] - f[38][1] + f[47][1] - f[43][1] + f[46][1] - f[44][1]) / 4;

    [Fact]
    public void Blinks_come_every_two_to_six_seconds_and_last_150_to_200_ms()
    {
        foreach (var id in new[] { "council-budget", "storm-warning", "a", "election-2027-results" })
        {
            var blinks = new IdleMotion(id).BlinksUntil(120);
            Assert.InRange(blinks.Count, 120 / 6.0 - 1, 120 / 2.0 + 1);
            Assert.InRange(blinks[0].Start, 0.5, 3.5);
            foreach (var (a, b) in blinks.Zip(blinks.Skip(1)))
                Assert.InRange(b.Start - a.Start, IdleMotion.MinBlinkInterval, IdleMotion.MaxBlinkInterval);
            Assert.All(blinks, b => Assert.InRange(b.Duration, 0.15, 0.2));
            var mean = (blinks[^1].Start - blinks[0].Start) / (blinks.Count - 1);
            // Uniform on [2, 6] s: the mean of ~30 intervals lies near 4 s.
            Assert.InRange(mean, 3.2, 4.8);
        }
    }

    [Fact]
    public void Blinks_and_head_motion_are_the_same_for_the_same_story_and_differ_between_stories()
    {
        var phones = TestFaces.Track("SIL:0.5", "HH:0.08", "AH:0.1", "L:0.06", "OW:0.2", "SIL:9.5");
        var reference = TestFaces.AstronautReference();
        var a = LandmarkAnimator.Animate(reference, phones, phones.Duration, Fps, "council-budget");
        var again = LandmarkAnimator.Animate(reference, phones, phones.Duration, Fps, "council-budget");
        var other = LandmarkAnimator.Animate(reference, phones, phones.Duration, Fps, "storm-warning");
        Assert.Equal(a.Frames.Length, again.Frames.Length);
        for (int i = 0; i < a.Frames.Length; i++)
            for (int p = 0; p < 68; p++)
                Assert.Equal(a.Frames[i][p], again.Frames[i][p]);
        var closedA = a.Frames.Select(EyeOpening).Select((o, i) => (o, i)).Where(x => x.o < 1).Select(x => x.i).ToHashSet();
        var closedOther = other.Frames.Select(EyeOpening).Select((o, i) => (o, i)).Where(x => x.o < 1).Select(x => x.i).ToHashSet();
        Assert.NotEmpty(closedA);
        Assert.NotEqual(closedA, closedOther);
    }

    [Fact]
    public void A_blink_shuts_the_eyelids_and_opens_them_again()
    {
        var phones = TestFaces.Track("SIL:8");
        var track = LandmarkAnimator.Animate(TestFaces.AstronautReference(), phones, phones.Duration, Fps, "council-budget");
        var open = EyeOpening(TestFaces.Astronaut().Points);
        var openings = track.Frames.Select(EyeOpening).ToArray();
        var blinks = new IdleMotion("council-budget").BlinksUntil(8 - 0.2);
        Assert.InRange(blinks.Count, 1, 4);
        foreach (var (start, duration) in blinks)
        {
            var frames = Enumerable.Range(0, openings.Length)
                .Where(i => LandmarkAnimator.FrameTime(i, Fps) >= start && LandmarkAnimator.FrameTime(i, Fps) <= start + duration).ToList();
            Assert.InRange(frames.Count, 4, 7);
            Assert.True(frames.Min(i => openings[i]) < 0.3 * open, $"the blink at {start:0.00} s does not shut the eyes");
            // Before and after: open (head roll and scale change the lid gap by a fraction of a pixel at most).
            Assert.True(openings[frames[0] - 1] > 0.6 * open);
            Assert.True(openings[frames[^1] + 1] > 0.8 * open);
        }
        // Between blinks the eyes stay open.
        var shut = openings.Count(o => o < 0.5 * open);
        Assert.InRange(shut, blinks.Count, blinks.Count * 4);
    }

    [Fact]
    public void Head_motion_is_slight_and_slow()
    {
        var phones = TestFaces.Track("SIL:60");
        var face = TestFaces.Astronaut();
        var track = LandmarkAnimator.Animate(TestFaces.AstronautReference(), phones, phones.Duration, Fps, "storm-warning");
        // Points that only the head moves: brows, nose, eye corners, jaw top.
        int[] rigid = [0, 1, 2, 14, 15, 16, 17, 21, 22, 26, 27, 30, 31, 35, 36, 39, 42, 45];
        double faceHeight = face.Box.Height, largest = 0, largestStep = 0;
        foreach (var p in rigid)
        {
            for (int i = 0; i < track.Frames.Length; i++)
            {
                var f = track.Frames[i][p];
                largest = Math.Max(largest, Math.Sqrt(Math.Pow(f[0] - face.Points[p][0], 2) + Math.Pow(f[1] - face.Points[p][1], 2)));
                if (i > 0)
                {
                    var g = track.Frames[i - 1][p];
                    largestStep = Math.Max(largestStep, Math.Sqrt(Math.Pow(f[0] - g[0], 2) + Math.Pow(f[1] - g[1], 2)));
                }
            }
        }
        TestContext.Current.SendDiagnosticMessage($"head motion: largest offset {largest:0.00} px ({largest / faceHeight:P1} of the face), largest per-frame step {largestStep:0.000} px");
        // It moves (a frozen head looks dead) but by a few percent of the face at most, and slowly.
        Assert.InRange(largest, 0.005 * faceHeight, 0.05 * faceHeight);
        Assert.True(largestStep < 0.004 * faceHeight, $"the head moves {largestStep:0.000} px in one frame");
    }
}
