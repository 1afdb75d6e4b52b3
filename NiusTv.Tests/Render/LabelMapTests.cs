using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render;
using Xunit;

namespace NiusTv.Tests.Render;

public class LabelMapTests
{
    private const int Width = 512, Height = 256;

    private static (byte[] Ids, SlotFraming Framing) Paint(double mouthOpen)
    {
        var framing = new SlotFraming(SyntheticFace.Presenter(), Width, Height);
        using var painter = new LabelMapPainter(framing);
        return (painter.Paint(SyntheticFace.Points(SyntheticFace.PhotoBox, mouthOpen)), framing);
    }

    private static byte At(byte[] ids, float x, float y) => ids[(int)MathF.Round(y) * Width + (int)MathF.Round(x)];

    private static (float X, float Y) Centroid(float[][] points, SlotFraming framing, params int[] indices)
    {
        var slot = indices.Select(i => framing.Map(points[i][0], points[i][1])).ToList();
        return (slot.Average(p => p.X), slot.Average(p => p.Y));
    }

    private static (double MeanY, int Count) Region(byte[] ids, byte id)
    {
        double sum = 0;
        var count = 0;
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] == id) { sum += i / Width; count++; }
        return (count == 0 ? double.NaN : sum / count, count);
    }

    [Fact]
    public void The_face_box_lands_where_the_framing_says()
    {
        var presenter = SyntheticFace.Presenter(new PresenterFraming(FaceHeight: 0.5, FaceCentreY: 0.45));
        var f = new SlotFraming(presenter, Width, Height);
        var box = presenter.Face.Box;
        var top = f.Map(box.Left, box.Top);
        var bottom = f.Map(box.Right, box.Bottom);
        Assert.Equal(0.5 * Height, bottom.Y - top.Y, 3);
        Assert.Equal(0.45 * Height, (top.Y + bottom.Y) / 2, 3);
        Assert.Equal(Width / 2.0, (top.X + bottom.X) / 2, 3);
        Assert.Equal(f.Map(17, 23), f.Matrix.MapPoint(17, 23));
    }

    [Fact]
    public void Regions_land_where_their_points_are()
    {
        var points = SyntheticFace.Points(SyntheticFace.PhotoBox, mouthOpen: 0);
        var (ids, framing) = Paint(0);

        Assert.Equal(FaceRegions.Background, At(ids, 0, 0));
        Assert.Equal(FaceRegions.Background, At(ids, Width - 1, Height - 1));
        var lips = Centroid(points, framing, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59);
        Assert.Equal(FaceRegions.Lips, At(ids, lips.X, lips.Y - 3));
        var leftEye = Centroid(points, framing, 36, 37, 38, 39, 40, 41);
        var rightEye = Centroid(points, framing, 42, 43, 44, 45, 46, 47);
        Assert.Equal(FaceRegions.Eyes, At(ids, leftEye.X, leftEye.Y));
        Assert.Equal(FaceRegions.Eyes, At(ids, rightEye.X, rightEye.Y));
        var nose = Centroid(points, framing, 30, 31, 32, 33, 34, 35);
        Assert.Equal(FaceRegions.Nose, At(ids, nose.X, nose.Y));
        Assert.Equal(FaceRegions.Brows, At(ids, framing.Map(points[19][0], points[19][1]).X, framing.Map(points[19][0], points[19][1]).Y));
        Assert.Equal(FaceRegions.JawLine, At(ids, framing.Map(points[8][0], points[8][1]).X, framing.Map(points[8][0], points[8][1]).Y));
        // Cheek: between the eye and the jaw, nothing but skin.
        var cheek = Centroid(points, framing, 3, 31, 41);
        Assert.Equal(FaceRegions.Face, At(ids, cheek.X, cheek.Y));

        var eyes = Region(ids, FaceRegions.Eyes);
        var mouth = Region(ids, FaceRegions.Lips);
        var brows = Region(ids, FaceRegions.Brows);
        Assert.True(brows.MeanY < eyes.MeanY && eyes.MeanY < mouth.MeanY, $"brows {brows.MeanY}, eyes {eyes.MeanY}, lips {mouth.MeanY}");
        // Closed lips: the inner-lip polygon has no area.
        Assert.Equal(0, Region(ids, FaceRegions.InnerMouth).Count);
    }

    [Fact]
    public void An_open_mouth_shows_inner_mouth_at_the_lips_centre_and_it_grows_with_the_opening()
    {
        var points = SyntheticFace.Points(SyntheticFace.PhotoBox, mouthOpen: 1);
        var (ids, framing) = Paint(1);
        var inner = Centroid(points, framing, 60, 61, 62, 63, 64, 65, 66, 67);
        Assert.Equal(FaceRegions.InnerMouth, At(ids, inner.X, inner.Y));
        var half = Region(Paint(0.5).Ids, FaceRegions.InnerMouth).Count;
        var full = Region(ids, FaceRegions.InnerMouth).Count;
        Assert.True(half > 0 && full > half * 1.5, $"inner mouth area: half open {half}, open {full}");
        // Every region of the table appears on an open-mouthed face, and nothing outside it.
        Assert.Equal(Enumerable.Range(0, FaceRegions.Count).Select(i => (byte)i), ids.Distinct().Order());
    }

    [Fact]
    public void A_frame_without_68_points_is_refused()
    {
        using var painter = new LabelMapPainter(new SlotFraming(SyntheticFace.Presenter(), 64, 32));
        var e = Assert.Throws<ArgumentException>(() => painter.Paint(SyntheticFace.Points(SyntheticFace.PhotoBox)[..67]));
        Assert.Contains("67", e.Message);
    }
}
