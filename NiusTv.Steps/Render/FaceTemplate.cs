using NiusTv.Steps.Landmarks;

namespace NiusTv.Steps.Render;

/// <summary>A plausible frontal 68-point face (iBUG order, 0-based) from a hand-made template in a unit box: the face
/// the renderer benchmarks and tests draw when no detected face is at hand. <c>mouthOpen</c> 0 puts the inner lips
/// together; 1 opens the mouth by about a sixth of the face height and drops the chin with it.</summary>
public static class FaceTemplate
{
    public static float[][] Points(FaceBox box, double mouthOpen = 0)
    {
        var unit = new (double X, double Y)[68];
        for (var i = 0; i <= 16; i++)
        {
            var t = Math.PI - i * Math.PI / 16;
            unit[i] = (0.5 + 0.48 * Math.Cos(t), 0.25 + 0.72 * Math.Sin(t));
        }
        double[] browX = [0.12, 0.2, 0.28, 0.36, 0.44];
        double[] browY = [0.12, 0.08, 0.07, 0.08, 0.1];
        for (var i = 0; i < 5; i++)
        {
            unit[17 + i] = (browX[i], browY[i]);
            unit[26 - i] = (1 - browX[i], browY[i]);
        }
        for (var i = 0; i < 4; i++) unit[27 + i] = (0.5, 0.25 + 0.1 * i);
        double[] baseX = [0.4, 0.45, 0.5, 0.55, 0.6];
        double[] baseY = [0.62, 0.64, 0.65, 0.64, 0.62];
        for (var i = 0; i < 5; i++) unit[31 + i] = (baseX[i], baseY[i]);
        (double, double)[] leftEye = [(0.23, 0.28), (0.27, 0.25), (0.33, 0.25), (0.37, 0.28), (0.33, 0.31), (0.27, 0.31)];
        for (var i = 0; i < 6; i++) unit[36 + i] = leftEye[i];
        (double, double)[] rightEye = [(0.63, 0.28), (0.67, 0.25), (0.73, 0.25), (0.77, 0.28), (0.73, 0.31), (0.67, 0.31)];
        for (var i = 0; i < 6; i++) unit[42 + i] = rightEye[i];

        var open = 0.16 * Math.Clamp(mouthOpen, 0, 1);
        (double, double)[] outerUpper = [(0.35, 0.8), (0.4, 0.77), (0.45, 0.755), (0.5, 0.76), (0.55, 0.755), (0.6, 0.77), (0.65, 0.8)];
        for (var i = 0; i < 7; i++) unit[48 + i] = outerUpper[i];
        (double, double)[] outerLower = [(0.6, 0.84), (0.55, 0.86), (0.5, 0.865), (0.45, 0.86), (0.4, 0.84)];
        for (var i = 0; i < 5; i++) unit[55 + i] = (outerLower[i].Item1, outerLower[i].Item2 + open * 0.9);
        unit[60] = (0.37, 0.8);
        unit[61] = (0.45, 0.795 - open * 0.1);
        unit[62] = (0.5, 0.795 - open * 0.1);
        unit[63] = (0.55, 0.795 - open * 0.1);
        unit[64] = (0.63, 0.8);
        unit[65] = (0.55, 0.795 + open * 0.9);
        unit[66] = (0.5, 0.795 + open * 0.9);
        unit[67] = (0.45, 0.795 + open * 0.9);
        // The chin drops with the jaw.
        for (var i = 5; i <= 11; i++) unit[i] = (unit[i].X, unit[i].Y + open * 0.6 * (1 - Math.Abs(i - 8) / 4.0));

        return unit.Select(u => new[] { (float)(box.Left + u.X * box.Width), (float)(box.Top + u.Y * box.Height) }).ToArray();
    }
}
