using System.Diagnostics;
using NiusTv.Steps.Compose;
using Xunit;

namespace NiusTv.Tests.Compose;

/// <summary>Compose hands x264 4:2:0 YUV it converted itself: the colours must be the ones ffmpeg's own conversion
/// gives, so a video looks as it did when ffmpeg converted the BGRA frames, and every pixel must be converted,
/// including those past the last whole vector of a row.</summary>
public sealed class Yuv420Tests
{
    [Theory]
    [InlineData(1920, 4)]
    [InlineData(640, 2)]
    [InlineData(362, 6)] // not a multiple of any vector width: the row tails take the scalar path
    [InlineData(2, 2)]
    public void Every_sample_is_BT601_limited_range_with_chroma_the_mean_of_its_2x2_block(int width, int height)
    {
        var random = new Random(width * 31 + height);
        var bgra = new byte[width * height * 4];
        random.NextBytes(bgra);
        var i420 = new byte[Yuv420.FrameBytes(width, height)];
        Yuv420.FromBgra(bgra, width, height, i420);

        var (cw, ch) = (width / 2, height / 2);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var (b, g, r) = Pixel(bgra, width, x, y);
            var expected = (66 * r + 129 * g + 25 * b + 128) / 256 + 16;
            Assert.True(expected == i420[y * width + x], $"Y at ({x},{y}): {i420[y * width + x]}, expected {expected}");
        }
        for (var y = 0; y < ch; y++)
        for (var x = 0; x < cw; x++)
        {
            double b = 0, g = 0, r = 0;
            foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
            {
                var p = Pixel(bgra, width, 2 * x + dx, 2 * y + dy);
                (b, g, r) = (b + p.B / 4.0, g + p.G / 4.0, r + p.R / 4.0);
            }
            var u = i420[width * height + y * cw + x];
            var v = i420[width * height + cw * ch + y * cw + x];
            // BT.601's real-valued definition; the fixed-point form may round the other way.
            Assert.InRange(u - (128 + (-0.148 * r - 0.291 * g + 0.439 * b)), -1.01, 1.01);
            Assert.InRange(v - (128 + (0.439 * r - 0.368 * g - 0.071 * b)), -1.01, 1.01);
        }
    }

    [Fact]
    public void Flat_colours_convert_to_within_two_levels_of_ffmpegs_own_conversion()
    {
        // Eight colour bars 96 pixels wide, so every chroma sample away from a bar edge sees one colour.
        const int width = 768, height = 64;
        (byte R, byte G, byte B)[] bars = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255), (20, 40, 60)];
        var bgra = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var (r, g, b) = bars[x / 96];
            var i = (y * width + x) * 4;
            (bgra[i], bgra[i + 1], bgra[i + 2], bgra[i + 3]) = (b, g, r, 255);
        }
        var ours = new byte[Yuv420.FrameBytes(width, height)];
        Yuv420.FromBgra(bgra, width, height, ours);
        var theirs = FfmpegConvert(bgra, width, height);
        Assert.Equal(ours.Length, theirs.Length);

        var (cw, ch) = (width / 2, height / 2);
        for (var bar = 0; bar < bars.Length; bar++)
        {
            // The middle of each bar, clear of the edges that ffmpeg's chroma filter smooths.
            int y = height / 2, x = bar * 96 + 48;
            Assert.InRange(ours[y * width + x] - theirs[y * width + x], -2, 2);
            foreach (var plane in new[] { width * height, width * height + cw * ch })
            {
                var c = plane + y / 2 * cw + x / 2;
                Assert.True(Math.Abs(ours[c] - theirs[c]) <= 2, $"bar {bar} {bars[bar]}: chroma {ours[c]} against ffmpeg's {theirs[c]}");
            }
        }
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    [InlineData(0, 2)]
    public void Odd_or_empty_sizes_are_refused(int width, int height) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Yuv420.FromBgra(new byte[64], width, height, new byte[64]));

    private static (int B, int G, int R) Pixel(byte[] bgra, int width, int x, int y)
    {
        var i = (y * width + x) * 4;
        return (bgra[i], bgra[i + 1], bgra[i + 2]);
    }

    private static byte[] FfmpegConvert(byte[] bgra, int width, int height)
    {
        var psi = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgra", "-s", $"{width}x{height}", "-i", "-",
                     "-f", "rawvideo", "-pix_fmt", "yuv420p", "-" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output, TestContext.Current.CancellationToken);
        process.StandardInput.BaseStream.Write(bgra);
        process.StandardInput.Close();
        copy.Wait(TestContext.Current.CancellationToken);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return output.ToArray();
    }
}
