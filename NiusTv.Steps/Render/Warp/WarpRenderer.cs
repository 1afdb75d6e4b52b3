using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using NiusTv.Steps.Landmarks;
using SkiaSharp;

namespace NiusTv.Steps.Render.Warp;

/// <summary>The default renderer: the presenter's reference photo, warped piecewise-affinely so its 68 points
/// land on each frame's landmarks. Every triangle of <see cref="FaceMesh"/> is drawn textured from its
/// reference position (Skia's <c>DrawVertices</c> with an image shader does exactly that, on the CPU), over the
/// photo drawn still, so everything outside the ring of still points is the photo itself. The mouth interior is
/// painted, never warped: when the inner lips part, the closed mouth's texture would otherwise be stretched
/// over the opening.</summary>
public sealed class WarpRenderer : IRenderer
{
    private static readonly SKColor MouthDeep = new(0x1A, 0x05, 0x07);
    private static readonly SKColor MouthFront = new(0x52, 0x14, 0x18);
    private static readonly SKColor Teeth = new(0xE6, 0xE0, 0xD6);

    /// <summary>Depth of the visible upper teeth as a share of the inner-lip gap.</summary>
    private const float TeethShare = 0.3f;

    /// <summary>Inner-lip gaps below this (slot pixels) count as closed: no interior is drawn.</summary>
    private const float ClosedGap = 0.5f;

    private readonly ConcurrentDictionary<string, FaceMesh> _meshes = new();

    public string Name => "warp";
    public bool NeedsGpu => false;

    public async Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress,
        CancellationToken ct)
    {
        using var session = Open(request);
        var total = request.Track.Frames.Length;
        var reportEvery = Math.Max(1, total / 100);
        for (var i = 0; i < total; i++)
        {
            ct.ThrowIfCancellationRequested();
            session.Draw(request.Track.Frames[i]);
            await frame(session.Pixels);
            if (i % reportEvery == 0) progress.Report((double)(i + 1) / total);
        }
        progress.Report(1.0);
    }

    /// <summary>A drawing session for one request: the decoded photo, the mesh and a reused pixel buffer.
    /// Public so tests and the benchmark can render single frames.</summary>
    public Session Open(RenderRequest request)
    {
        var presenter = request.Presenter;
        var track = request.Track;
        if (track.PhotoWidth != presenter.Width || track.PhotoHeight != presenter.Height)
            throw StepFailure.Permanent($"{Artifacts.Landmarks} was made for a {track.PhotoWidth}x{track.PhotoHeight} photo but presenter " +
                $"'{presenter.Name}' has a {presenter.Width}x{presenter.Height} one; run the landmarks step again");
        for (var i = 0; i < track.Frames.Length; i++)
            if (track.Frames[i] is not { Length: FaceMesh.FacePoints } f || f.Any(p => p is not { Length: 2 }))
                throw StepFailure.Permanent($"{Artifacts.Landmarks} frame {i} does not hold {FaceMesh.FacePoints} [x, y] points; run the landmarks step again");
        var mesh = _meshes.GetOrAdd(presenter.PhotoSha256 + ":" + presenter.PhotoPath, _ => FaceMesh.Build(presenter.Face));
        return new Session(presenter, mesh, new SlotFraming(presenter, request.Width, request.Height));
    }

    public sealed class Session : IDisposable
    {
        private readonly FaceMesh _mesh;
        private readonly SlotFraming _framing;
        private readonly SKImage _photo;
        private readonly SKShader _shader;
        private readonly SKPaint _warpPaint;
        private readonly SKPaint _stillPaint;
        private readonly SKPaint _mouthPaint = new() { IsAntialias = true };
        private readonly SKPaint _teethPaint = new() { IsAntialias = true, Color = Teeth };
        private readonly SKSurface _surface;
        private readonly byte[] _pixels;
        private readonly byte[] _still;
        private readonly SKPoint[] _positions;
        private readonly SKPoint[] _texture;
        private readonly int[] _frameIndexOfVertex;
        private readonly SKPathBuilder _builder = new();
        private readonly SKPath? _referenceInner;
        private readonly float _referenceGap;

        internal Session(PresenterReference presenter, FaceMesh mesh, SlotFraming framing)
        {
            _mesh = mesh;
            _framing = framing;
            _photo = LoadPhoto(presenter);
            // Downscaling photos (a big reference in a small slot) need mipmaps to stay smooth; upscaling does not.
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, framing.Scale < 0.75f ? SKMipmapMode.Linear : SKMipmapMode.None);
            // Clamp extends the photo's edge pixels: ring points outside the photo still sample something sensible.
            _shader = _photo.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, sampling);
            _warpPaint = new SKPaint { Shader = _shader, IsAntialias = false };
            _stillPaint = new SKPaint { Shader = _shader.WithLocalMatrix(framing.Matrix), IsAntialias = false };
            var width = framing.Width;
            var height = framing.Height;
            _pixels = GC.AllocateUninitializedArray<byte>(width * height * 4, pinned: true);
            _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul),
                Marshal.UnsafeAddrOfPinnedArrayElement(_pixels, 0), width * 4)
                ?? throw new InvalidOperationException($"Skia cannot make a {width}x{height} surface");
            // Where the slot reaches past the photo its edge pixels are extended (Clamp).
            _surface.Canvas.DrawPaint(_stillPaint);
            _surface.Canvas.Flush();
            _still = _pixels.ToArray();
            // Flatten the triangle list into per-corner arrays: DrawVertices takes one position and one texture
            // coordinate per corner (no index buffer in SkiaSharp's overload).
            // The triangles inside the inner lips are warped too, only as a base: the painted interior covers
            // them, and it is a smooth curve where they are straight, so no sliver of the still photo shows.
            int[] tris = [.. mesh.Triangles, .. mesh.MouthTriangles];
            _positions = new SKPoint[tris.Length];
            _texture = new SKPoint[tris.Length];
            _frameIndexOfVertex = tris;
            for (var k = 0; k < tris.Length; k++)
            {
                var (x, y) = mesh.Reference[tris[k]];
                _texture[k] = new SKPoint(x, y);
            }
            var reference = Enumerable.Range(60, 8).Select(i => new SKPoint(mesh.Reference[i].X, mesh.Reference[i].Y)).ToArray();
            _referenceGap = (SKPoint.Distance(reference[1], reference[7]) + SKPoint.Distance(reference[2], reference[6]) + SKPoint.Distance(reference[3], reference[5])) / 3;
            if (_referenceGap * framing.Scale >= ClosedGap)
            {
                // The lower lip's own pixels lie just inside the lower curve; carried up with the teeth they would
                // show as a pink fleck in an open mouth, so the clip stops a fifth of the gap short of them.
                foreach (var (up, down) in new[] { (1, 7), (2, 6), (3, 5) })
                    reference[down] = new SKPoint(reference[down].X + (reference[up].X - reference[down].X) * 0.2f,
                        reference[down].Y + (reference[up].Y - reference[down].Y) * 0.2f);
                _referenceInner = LipContour(reference);
            }
        }

        public int Width => _framing.Width;
        public int Height => _framing.Height;

        /// <summary>The last drawn frame, BGRA, opaque.</summary>
        public ReadOnlyMemory<byte> Pixels => _pixels;

        public SlotFraming Framing => _framing;

        /// <summary>Draws one frame from its 68 landmarks (photo pixels).</summary>
        public void Draw(float[][] points)
        {
            var canvas = _surface.Canvas;
            // The photo still, over the whole slot: outside the ring of still points the frame is exactly the
            // photo. Resampled once per session and copied per frame (a copy is several times cheaper than
            // sampling the photo again).
            _still.CopyTo(_pixels, 0);

            for (var k = 0; k < _frameIndexOfVertex.Length; k++)
            {
                var v = _frameIndexOfVertex[k];
                var (x, y) = v < FaceMesh.FacePoints ? (points[v][0], points[v][1]) : _mesh.Reference[v];
                _positions[k] = _framing.Map(x, y);
            }
            canvas.DrawVertices(SKVertexMode.Triangles, _positions, _texture, null, _warpPaint);
            DrawMouthInterior(canvas, points);
            canvas.Flush();
        }

        /// <summary>The open mouth, drawn over the warp inside the inner-lip contour (a smooth curve through
        /// points 60–64 above and 64–67, 60 below): a dark interior shaded darker towards the throat, and the
        /// upper teeth as a band under the upper lip whose depth is a share of the opening. Nothing of the warped
        /// closed-mouth texture shows inside. Anti-aliased, so the lip line stays smooth at any size.</summary>
        private void DrawMouthInterior(SKCanvas canvas, float[][] points)
        {
            var p = new SKPoint[8];
            for (var i = 0; i < 8; i++) p[i] = _framing.Map(points[60 + i][0], points[60 + i][1]);
            // Opening: the mean gap between facing inner-lip points (61–67, 62–66, 63–65).
            var gap = (Distance(p[1], p[7]) + Distance(p[2], p[6]) + Distance(p[3], p[5])) / 3;
            if (gap < ClosedGap) return;

            using var inner = LipContour(p);
            var top = (p[1].Y + p[2].Y + p[3].Y) / 3;
            var bottom = (p[5].Y + p[6].Y + p[7].Y) / 3;
            var centre = new SKPoint((p[0].X + p[4].X) / 2, (top + bottom) / 2);
            var radius = Math.Max(1f, Distance(p[0], p[4]) / 2);
            _mouthPaint.Shader?.Dispose();
            _mouthPaint.Shader = SKShader.CreateRadialGradient(centre, radius, [MouthDeep, MouthFront], [0.35f, 1f], SKShaderTileMode.Clamp,
                SKMatrix.CreateScale(1, Math.Clamp(gap / radius * 1.4f, 0.2f, 1f), centre.X, centre.Y));

            canvas.Save();
            canvas.ClipPath(inner, SKClipOperation.Intersect, antialias: true);
            canvas.DrawPath(inner, _mouthPaint);

            // Upper teeth: a band under the upper lip whose depth is a fixed share of the opening, so the dark
            // area grows in proportion to the opening from the first parting of the lips (a fixed-size band
            // would hide small openings entirely). A portrait with visible teeth lends its own interior,
            // squeezed into the band; a closed-mouth portrait gets a plain light band.
            var depth = gap * TeethShare;
            if (depth >= 0.4f)
            {
                if (_referenceInner is not null)
                {
                    canvas.Concat(_framing.Matrix);
                    canvas.Concat(UpperLipMotion(points, depth / _framing.Scale / (_referenceGap * 0.8f)));
                    canvas.ClipPath(_referenceInner, SKClipOperation.Intersect, antialias: true);
                    canvas.DrawPaint(_warpPaint);
                }
                else
                {
                    _builder.MoveTo(p[0]);
                    for (var i = 1; i <= 4; i++) _builder.LineTo(p[i]);
                    for (var i = 3; i >= 1; i--) _builder.LineTo(p[i].X, p[i].Y + depth);
                    _builder.Close();
                    using var teeth = _builder.Detach();
                    canvas.DrawPath(teeth, _teethPaint);
                }
            }
            canvas.Restore();
        }

        /// <summary>Photo → photo transform taking the reference upper inner lip to this frame's: rotated and
        /// widened as the mouth corners are, shifted as the upper inner lip is, scaled vertically by
        /// <paramref name="squeeze"/> from the upper lip down.</summary>
        private SKMatrix UpperLipMotion(float[][] points, float squeeze)
        {
            var r = _mesh.Reference;
            var (rdx, rdy) = (r[64].X - r[60].X, r[64].Y - r[60].Y);
            var (fdx, fdy) = (points[64][0] - points[60][0], points[64][1] - points[60][1]);
            var angle = MathF.Atan2(fdy, fdx) - MathF.Atan2(rdy, rdx);
            var widen = MathF.Sqrt(fdx * fdx + fdy * fdy) / MathF.Max(1e-3f, MathF.Sqrt(rdx * rdx + rdy * rdy));
            var (rcx, rcy) = ((r[61].X + r[62].X + r[63].X) / 3, (r[61].Y + r[62].Y + r[63].Y) / 3);
            var (fcx, fcy) = ((points[61][0] + points[62][0] + points[63][0]) / 3, (points[61][1] + points[62][1] + points[63][1]) / 3);
            var m = SKMatrix.CreateTranslation(-rcx, -rcy);
            m = m.PostConcat(SKMatrix.CreateScale(Math.Clamp(widen, 0.5f, 2f), Math.Clamp(squeeze, 0.05f, 1.5f)));
            m = m.PostConcat(SKMatrix.CreateRotation(angle));
            return m.PostConcat(SKMatrix.CreateTranslation(fcx, fcy));
        }

        /// <summary>The inner-lip contour as two smooth curves (Catmull–Rom through the upper points 60–64 and
        /// the lower points 64–67, 60) meeting in sharp mouth corners.</summary>
        internal SKPath LipContour(SKPoint[] p)
        {
            _builder.Reset();
            _builder.MoveTo(p[0]);
            CatmullRom(_builder, [p[0], p[1], p[2], p[3], p[4]]);
            CatmullRom(_builder, [p[4], p[5], p[6], p[7], p[0]]);
            _builder.Close();
            return _builder.Detach();
        }

        private static void CatmullRom(SKPathBuilder b, SKPoint[] q)
        {
            for (var i = 0; i < q.Length - 1; i++)
            {
                var p0 = q[Math.Max(0, i - 1)];
                var (p1, p2) = (q[i], q[i + 1]);
                var p3 = q[Math.Min(q.Length - 1, i + 2)];
                b.CubicTo(p1.X + (p2.X - p0.X) / 6, p1.Y + (p2.Y - p0.Y) / 6, p2.X - (p3.X - p1.X) / 6, p2.Y - (p3.Y - p1.Y) / 6, p2.X, p2.Y);
            }
        }

        private static float Distance(SKPoint a, SKPoint b) => SKPoint.Distance(a, b);

        public void Dispose()
        {
            _surface.Dispose();
            _mouthPaint.Shader?.Dispose();
            _mouthPaint.Dispose();
            _teethPaint.Dispose();
            _warpPaint.Dispose();
            _stillPaint.Dispose();
            _shader.Dispose();
            _photo.Dispose();
            _builder.Dispose();
            _referenceInner?.Dispose();
        }
    }

    private static SKImage LoadPhoto(PresenterReference presenter)
    {
        SKImage? photo = null;
        try
        {
            using var data = SKData.Create(presenter.PhotoPath);
            // Decoded to raster once: lazily decoded images would be decoded again on every draw.
            if (data is not null) using (var encoded = SKImage.FromEncodedData(data)) photo = encoded?.ToRasterImage(ensurePixelData: true);
        }
        catch (IOException) { }
        if (photo is null)
            throw StepFailure.Permanent($"the photo of presenter '{presenter.Name}' ({presenter.PhotoPath}) is missing or cannot be decoded");
        if (photo.Width != presenter.Width || photo.Height != presenter.Height)
        {
            var (w, h) = (photo.Width, photo.Height);
            photo.Dispose();
            throw StepFailure.Permanent($"the photo of presenter '{presenter.Name}' is {w}x{h} but its landmarks were detected on a " +
                $"{presenter.Width}x{presenter.Height} one; the presenter cache is stale");
        }
        return photo;
    }
}
