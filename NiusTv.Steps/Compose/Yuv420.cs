using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NiusTv.Steps.Compose;

/// <summary>Drawn BGRA frames as the planar 4:2:0 YUV (I420) that x264 encodes, converted here rather than in the
/// encoder's ffmpeg. Handing ffmpeg BGRA made it convert every frame with swscale and move 4 bytes a pixel through
/// the pipe instead of 1.5: ffmpeg alone, 497 raw 1024×512 frames from memory, veryfast CRF 20, took 4.4 s of CPU
/// from BGRA and 2.7 s from I420 on this 2-core machine. The conversion is what ffmpeg's default does for this pair
/// (ITU-R BT.601 matrix, limited range: Y 16–235, U and V 16–240, the range and matrix players assume for an untagged
/// stream), with each chroma sample the mean of its 2×2 pixels.</summary>
public static class Yuv420
{
    /// <summary>Bytes of one frame: a full-size Y plane, then U and V at half the width and half the height.</summary>
    public static int FrameBytes(int width, int height) => width * height + 2 * (width / 2) * (height / 2);

    /// <summary>Converts <paramref name="bgra"/> (rows of <paramref name="width"/> premultiplied, opaque BGRA pixels,
    /// no padding) into <paramref name="i420"/>. Width and height must be even; alpha is ignored.</summary>
    // Optimized at once, with every helper inlined: a frame is hundreds of thousands of pixels, and helpers left
    // to tiering ran unoptimized (Vector calls not expanded to instructions) through a story's first frames.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FromBgra(ReadOnlySpan<byte> bgra, int width, int height, Span<byte> i420)
    {
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height}: width and height must be even and at least 2");
        if (bgra.Length < width * height * 4) throw new ArgumentException($"{bgra.Length} bytes hold fewer than {width}x{height} BGRA pixels", nameof(bgra));
        if (i420.Length < FrameBytes(width, height)) throw new ArgumentException($"{i420.Length} bytes cannot hold a {width}x{height} 4:2:0 frame", nameof(i420));

        var pixels = MemoryMarshal.Cast<byte, uint>(bgra);
        var yPlane = i420[..(width * height)];
        var chromaWidth = width / 2;
        var chromaSize = chromaWidth * (height / 2);
        var uPlane = i420.Slice(width * height, chromaSize);
        var vPlane = i420.Slice(width * height + chromaSize, chromaSize);
        // One vector step takes a whole vector of output bytes from each plane: Vector<byte>.Count luma samples a
        // row, and as many chroma samples from twice as many pixels of a row pair.
        var step = Vector.IsHardwareAccelerated ? 2 * Vector<byte>.Count : int.MaxValue;
        for (var row = 0; row < height; row += 2)
        {
            var top = pixels.Slice(row * width, width);
            var bottom = pixels.Slice((row + 1) * width, width);
            var x = 0;
            for (; x + step <= width; x += step)
            {
                Luma(top.Slice(x, step), yPlane.Slice(row * width + x, step));
                Luma(bottom.Slice(x, step), yPlane.Slice((row + 1) * width + x, step));
                Chroma(top.Slice(x, step), bottom.Slice(x, step), uPlane.Slice(row / 2 * chromaWidth + x / 2, step / 2), vPlane.Slice(row / 2 * chromaWidth + x / 2, step / 2));
            }
            for (; x < width; x += 2)
            {
                var (p00, p01, p10, p11) = (top[x], top[x + 1], bottom[x], bottom[x + 1]);
                yPlane[row * width + x] = LumaOf(p00);
                yPlane[row * width + x + 1] = LumaOf(p01);
                yPlane[(row + 1) * width + x] = LumaOf(p10);
                yPlane[(row + 1) * width + x + 1] = LumaOf(p11);
                int b = B(p00) + B(p01) + B(p10) + B(p11), g = G(p00) + G(p01) + G(p10) + G(p11), r = R(p00) + R(p01) + R(p10) + R(p11);
                var c = row / 2 * chromaWidth + x / 2;
                uPlane[c] = (byte)(((112 * b - 38 * r - 74 * g + 512) >> 10) + 128);
                vPlane[c] = (byte)(((112 * r - 94 * g - 18 * b + 512) >> 10) + 128);
            }
        }
    }

    // BT.601 in 8-bit fixed point (the coefficients × 256, as in ITU-R BT.601's integer form): 66 R + 129 G + 25 B.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte LumaOf(uint p) => (byte)(((66 * R(p) + 129 * G(p) + 25 * B(p) + 128) >> 8) + 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int B(uint p) => (int)(p & 0xFF);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int G(uint p) => (int)((p >> 8) & 0xFF);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int R(uint p) => (int)((p >> 16) & 0xFF);

    /// <summary>2 × Vector&lt;byte&gt;.Count pixels of one row into as many luma samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Luma(ReadOnlySpan<uint> pixels, Span<byte> y)
    {
        var n = Vector<uint>.Count;
        for (var half = 0; half < 2; half++)
        {
            var offset = half * 4 * n;
            var a = LumaOf(new Vector<uint>(pixels[offset..]));
            var b = LumaOf(new Vector<uint>(pixels[(offset + n)..]));
            var c = LumaOf(new Vector<uint>(pixels[(offset + 2 * n)..]));
            var d = LumaOf(new Vector<uint>(pixels[(offset + 3 * n)..]));
            Vector.Narrow(Vector.Narrow(a, b), Vector.Narrow(c, d)).CopyTo(y[(half * 4 * n)..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<uint> LumaOf(Vector<uint> p)
    {
        var mask = new Vector<uint>(0xFF);
        var b = p & mask;
        var g = Vector.ShiftRightLogical(p, 8) & mask;
        var r = Vector.ShiftRightLogical(p, 16) & mask;
        return Vector.ShiftRightLogical(r * 66u + g * 129u + b * 25u + new Vector<uint>(128), 8) + new Vector<uint>(16);
    }

    /// <summary>2 × Vector&lt;byte&gt;.Count pixels of a row pair into half as many U and V samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chroma(ReadOnlySpan<uint> top, ReadOnlySpan<uint> bottom, Span<byte> u, Span<byte> v)
    {
        var topPairs = MemoryMarshal.Cast<uint, ulong>(top);
        var bottomPairs = MemoryMarshal.Cast<uint, ulong>(bottom);
        var n = Vector<ulong>.Count;
        var (b0, g0, r0) = BlockSums(topPairs, bottomPairs, 0, n);
        var (b1, g1, r1) = BlockSums(topPairs, bottomPairs, 2 * n, n);
        var (b2, g2, r2) = BlockSums(topPairs, bottomPairs, 4 * n, n);
        var (b3, g3, r3) = BlockSums(topPairs, bottomPairs, 6 * n, n);
        Pack(U(b0, g0, r0), U(b1, g1, r1), U(b2, g2, r2), U(b3, g3, r3)).CopyTo(u);
        Pack(V(b0, g0, r0), V(b1, g1, r1), V(b2, g2, r2), V(b3, g3, r3)).CopyTo(v);
    }

    // From the sums of four pixels, so the shift is 8 + 2 and the rounding term 128 × 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> U(Vector<int> b, Vector<int> g, Vector<int> r) =>
        Vector.ShiftRightArithmetic(b * 112 - r * 38 - g * 74 + new Vector<int>(512), 10) + new Vector<int>(128);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> V(Vector<int> b, Vector<int> g, Vector<int> r) =>
        Vector.ShiftRightArithmetic(r * 112 - g * 94 - b * 18 + new Vector<int>(512), 10) + new Vector<int>(128);

    /// <summary>Per 2×2 block, the sums of B, G and R of its four pixels, for 2n blocks starting at pair <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<int> B, Vector<int> G, Vector<int> R) BlockSums(ReadOnlySpan<ulong> top, ReadOnlySpan<ulong> bottom, int at, int n)
    {
        var (t0, t1) = (new Vector<ulong>(top[at..]), new Vector<ulong>(top[(at + n)..]));
        var (d0, d1) = (new Vector<ulong>(bottom[at..]), new Vector<ulong>(bottom[(at + n)..]));
        return (Sum(t0, d0, t1, d1, 0), Sum(t0, d0, t1, d1, 8), Sum(t0, d0, t1, d1, 16));
    }

    /// <summary>One channel (at bit <paramref name="shift"/>) of 2n blocks, as int lanes: each ulong lane of a row
    /// holds two neighbouring pixels, so its halves added with the other row's give a block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Sum(Vector<ulong> top0, Vector<ulong> bottom0, Vector<ulong> top1, Vector<ulong> bottom1, int shift) =>
        Vector.AsVectorInt32(Vector.Narrow(Channel(top0, shift) + Channel(bottom0, shift), Channel(top1, shift) + Channel(bottom1, shift)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<ulong> Channel(Vector<ulong> pairs, int shift)
    {
        var mask = new Vector<ulong>(0xFF);
        return (Vector.ShiftRightLogical(pairs, shift) & mask) + (Vector.ShiftRightLogical(pairs, shift + 32) & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<byte> Pack(Vector<int> a, Vector<int> b, Vector<int> c, Vector<int> d) =>
        Vector.Narrow(
            Vector.Narrow(Vector.AsVectorUInt32(a), Vector.AsVectorUInt32(b)),
            Vector.Narrow(Vector.AsVectorUInt32(c), Vector.AsVectorUInt32(d)));
}
