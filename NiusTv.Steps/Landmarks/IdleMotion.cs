using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NiusTv.Steps.Landmarks;

/// <summary>What a face does besides speaking: blinks and a slight drift of the head. Both are drawn from a
/// random generator seeded by the story id, so a rerun (a retry, another node) gives the very same frames, and two
/// stories do not blink in step.</summary>
public sealed class IdleMotion
{
    /// <summary>Time between the starts of two blinks (s): people blink every 2–6 s while talking.</summary>
    public const double MinBlinkInterval = 2.0, MaxBlinkInterval = 6.0;
    /// <summary>A blink's length (s), closing and opening.</summary>
    public const double MinBlinkDuration = 0.15, MaxBlinkDuration = 0.20;
    /// <summary>Largest head shift as a fraction of the face height (a few pixels on a 100–200 px face).</summary>
    public const double MaxShift = 0.02;
    /// <summary>Largest head roll (radians, about 1.2°) and relative size change (a slight lean in and out).</summary>
    public const double MaxRoll = 0.021, MaxScale = 0.008;

    private readonly List<(double Start, double Duration)> _blinks = [];
    private readonly Random _blinkRandom;
    private double _nextBlink;
    private readonly Wave _shiftX, _shiftY, _roll, _scale;

    public IdleMotion(string storyId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(storyId));
        _blinkRandom = new Random(BinaryPrimitives.ReadInt32LittleEndian(hash));
        var head = new Random(BinaryPrimitives.ReadInt32LittleEndian(hash.AsSpan(4)));
        // The first blink comes sooner than a full interval: a presenter who stares for 6 s at the start looks odd.
        _nextBlink = 0.5 + _blinkRandom.NextDouble() * (MaxBlinkInterval / 2);
        _shiftX = new Wave(head, MaxShift);
        _shiftY = new Wave(head, MaxShift * 0.7);
        _roll = new Wave(head, MaxRoll);
        _scale = new Wave(head, MaxScale);
    }

    /// <summary>Blinks that start before <paramref name="until"/> (s), in order.</summary>
    public IReadOnlyList<(double Start, double Duration)> BlinksUntil(double until)
    {
        while (_nextBlink < until)
        {
            var duration = MinBlinkDuration + _blinkRandom.NextDouble() * (MaxBlinkDuration - MinBlinkDuration);
            _blinks.Add((_nextBlink, duration));
            _nextBlink += MinBlinkInterval + _blinkRandom.NextDouble() * (MaxBlinkInterval - MinBlinkInterval);
        }
        return _blinks;
    }

    /// <summary>How closed the eyes are at <paramref name="t"/> (0 open, 1 shut): a blink shuts the lids fast (a
    /// third of its time), holds them a moment and opens them more slowly, as real blinks do.</summary>
    public double EyeClosure(double t)
    {
        var blinks = BlinksUntil(t + 1);
        // Blinks are few (one every 2 s at most): a backwards scan from the last one stops at once.
        for (int i = blinks.Count - 1; i >= 0; i--)
        {
            var (start, duration) = blinks[i];
            if (start > t) continue;
            var p = (t - start) / duration;
            if (p >= 1) return 0;
            if (p < 0.33) return Smooth(p / 0.33);
            if (p < 0.45) return 1;
            return 1 - Smooth((p - 0.45) / 0.55);
        }
        return 0;
    }

    /// <summary>The head's pose at <paramref name="t"/>: shift as fractions of the face height, roll in radians,
    /// scale around 1.</summary>
    public (double ShiftX, double ShiftY, double Roll, double Scale) HeadPose(double t) =>
        (_shiftX.At(t), _shiftY.At(t), _roll.At(t), 1 + _scale.At(t));

    private static double Smooth(double x) => x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x);

    /// <summary>Three slow sines (0.05–0.4 Hz) with random phases and weights that add up to at most
    /// <c>amplitude</c>: it never repeats visibly and never moves faster than a calm speaker's head.</summary>
    private sealed class Wave
    {
        private readonly (double Frequency, double Phase, double Amplitude)[] _parts = new (double, double, double)[3];

        public Wave(Random random, double amplitude)
        {
            var weights = new double[_parts.Length];
            for (int i = 0; i < weights.Length; i++) weights[i] = 0.5 + random.NextDouble();
            var total = weights.Sum();
            for (int i = 0; i < _parts.Length; i++)
            {
                // One slow, one medium, one quicker component, each with its own random frequency in its band.
                double low = 0.05 * Math.Pow(2, i), high = low * 2.0;
                _parts[i] = (low + random.NextDouble() * (high - low), random.NextDouble() * 2 * Math.PI,
                    amplitude * weights[i] / total);
            }
        }

        public double At(double t)
        {
            double v = 0;
            foreach (var (f, phase, a) in _parts) v += a * Math.Sin(2 * Math.PI * f * t + phase);
            return v;
        }
    }
}
