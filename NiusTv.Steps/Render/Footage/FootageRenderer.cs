using System.Runtime.InteropServices;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Render.Warp;
using SkiaSharp;

namespace NiusTv.Steps.Render.Footage;

/// <summary>The photoreal anchor of a clip presenter: every frame is a real frame of the presenter's clip (the
/// base: real head motion and blinks, a calm stretch played forwards and backwards) whose lower face is replaced
/// by the lower face of another real frame (the mouth: lips, teeth and tongue as the camera saw them), chosen for
/// its shape over the whole story by <see cref="MouthPlanner"/>, warped triangle by triangle onto the intended
/// face of <c>landmarks.json</c> and blended with a feathered mask and a colour match, so no seam shows. A keyed
/// clip stands in front of its backdrop with the screen's colour spill removed. All pixel work runs on
/// preallocated buffers in unsafe loops: nothing is allocated per pixel or per frame.</summary>
public sealed class FootageRenderer : IRenderer
{
    public string Name => "footage";
    public bool NeedsGpu => false;

    public async Task RenderAsync(RenderRequest request, Func<ReadOnlyMemory<byte>, ValueTask> frame, IProgress<double> progress,
        CancellationToken ct)
    {
        // Planning and decoding the needed clip frames: about a tenth of the work.
        using var session = await Task.Run(() => Open(request, ct), ct);
        progress.Report(0.1);
        var total = request.Track.Frames.Length;
        var reportEvery = Math.Max(1, total / 100);
        for (var k = 0; k < total; k++)
        {
            ct.ThrowIfCancellationRequested();
            session.Draw(k);
            await frame(session.Pixels);
            if (k % reportEvery == 0) progress.Report(0.1 + 0.9 * (k + 1) / total);
        }
        progress.Report(1.0);
    }

    /// <summary>Plans the base and mouth frames of the whole story and decodes the clip frames it needs. Public so
    /// tests and the benchmark can draw single frames.</summary>
    public Session Open(RenderRequest request, CancellationToken ct = default)
    {
        var presenter = request.Presenter;
        var clip = presenter.Clip ?? throw StepFailure.Permanent(
            $"presenter '{presenter.Name}' has a photo, not a clip: the footage renderer needs a clip presenter (use the warp renderer)");
        var track = request.Track;
        var index = clip.Analysis.Index;
        if (track.PhotoWidth != index.Width || track.PhotoHeight != index.Height)
            throw StepFailure.Permanent($"{Artifacts.Landmarks} was made for a {track.PhotoWidth}x{track.PhotoHeight} picture but presenter " +
                $"'{presenter.Name}' has a {index.Width}x{index.Height} clip; run the landmarks step again");
        for (var i = 0; i < track.Frames.Length; i++)
            if (track.Frames[i] is not { Length: 68 } f || f.Any(p => p is not { Length: 2 }))
                throw StepFailure.Permanent($"{Artifacts.Landmarks} frame {i} does not hold 68 [x, y] points; run the landmarks step again");
        var bases = track.ClipFrames ?? Enumerable.Range(0, track.Frames.Length).Select(k => clip.Analysis.BaseFrame(k, track.Fps)).ToArray();
        if (bases.Length != track.Frames.Length || bases.Any(b => b < 0 || b >= index.Count || !clip.Analysis.Usable[b]))
            throw StepFailure.Permanent($"{Artifacts.Landmarks} names clip frames that presenter '{presenter.Name}'s clip does not have; run the landmarks step again");
        var targets = new float[track.Frames.Length][];
        for (int k = 0; k < targets.Length; k++) targets[k] = FootageShape.Feature(track.Frames[k]);
        var mouths = MouthPlanner.Plan(clip.Analysis, targets, index.Fps / track.Fps);
        ct.ThrowIfCancellationRequested();
        return new Session(request, clip, bases, mouths, ct);
    }

    /// <summary>One story's drawing: the decoded frames it needs, the mesh, and reused buffers.</summary>
    public sealed class Session : IDisposable
    {
        /// <summary>Landmarks the lower-face mesh uses (0-based): jaw 1–15, the nose base 31–35, the lips 48–67.</summary>
        private static readonly int[] MeshPoints = [.. Enumerable.Range(1, 15), 31, 32, 33, 34, 35, .. Enumerable.Range(48, 20)];
        private const int JawCount = 15;
        /// <summary>How far beyond the jaw (as a share of its distance from the mouth centre) the feathered edge reaches.</summary>
        private const float RingReach = 0.22f;
        private static readonly int VertexCount = MeshPoints.Length + JawCount;

        private readonly ClipPresenter _clip;
        private readonly LandmarkTrack _track;
        private readonly int _w, _h, _sw, _sh;
        private readonly Dictionary<int, byte[]> _baseFrames = new();
        private readonly Dictionary<int, (int X, int Y, int W, int H, byte[] Rgb)> _mouthCrops = new();
        private readonly int[] _triangles;
        private readonly float[] _vertexAlpha;
        private readonly byte[] _composite, _sample, _matte;
        private readonly float[] _alpha;
        private readonly float[] _dst = new float[2 * VertexCount], _src = new float[2 * VertexCount];
        private readonly int[] _colX, _colF, _rowY, _rowF;
        private readonly byte[] _backdrop;
        private readonly List<int> _edge = new(4096);
        private byte[]? _lastBase;
        private readonly byte[] _pixels;
        private readonly Memory<byte> _pixelMemory;
        private readonly bool _keyed;
        private readonly int _keyChannel;
        private readonly float _keyDominance, _keyHigh, _keyLow;
        private readonly float[] _keyRgb = new float[3];
        private readonly byte[] _matteRow;

        public int[] BaseFrames { get; }
        public int[] MouthFrames { get; }
        public ReadOnlyMemory<byte> Pixels => _pixelMemory;
        /// <summary>The last composited clip-size frame, packed RGB, before keying and framing (for contact sheets).</summary>
        public ReadOnlySpan<byte> Composite => _composite;
        public int ClipWidth => _w;
        public int ClipHeight => _h;

        internal Session(RenderRequest request, ClipPresenter clip, int[] bases, int[] mouths, CancellationToken ct)
        {
            _clip = clip;
            _track = request.Track;
            BaseFrames = bases;
            MouthFrames = mouths;
            var index = clip.Analysis.Index;
            (_w, _h, _sw, _sh) = (index.Width, index.Height, request.Width, request.Height);
            (_triangles, _vertexAlpha) = BuildMesh(clip.Analysis);
            _composite = new byte[_w * _h * 3];
            _sample = new byte[_w * _h * 3];
            _alpha = new float[_w * _h];
            _matte = new byte[_w * _h];
            _matteRow = new byte[Math.Max(_w, _h)];
            _pixels = GC.AllocateUninitializedArray<byte>(_sw * _sh * 4, pinned: true);
            _pixelMemory = _pixels;
            Decode(index, ct);

            // Clip pixels → slot pixels: the framing every renderer shares, sampled bilinearly (8-bit weights).
            var framing = new SlotFraming(request.Presenter, _sw, _sh);
            (_colX, _colF) = Axis(_sw, framing.OffsetX, framing.Scale, _w);
            (_rowY, _rowF) = Axis(_sh, framing.OffsetY, framing.Scale, _h);

            _keyed = clip.Key is not null;
            _backdrop = new byte[_sw * _sh * 4];
            if (_keyed)
            {
                var (kr, kg, kb) = KeyColour(clip.Key!, _baseFrames[bases[0]]);
                Span<int> k = [kr, kg, kb];
                (_keyRgb[0], _keyRgb[1], _keyRgb[2]) = (kr, kg, kb);
                _keyChannel = k[2] >= k[0] && k[2] >= k[1] ? 2 : k[1] >= k[0] ? 1 : 0;
                int other = Math.Max(k[(_keyChannel + 1) % 3], k[(_keyChannel + 2) % 3]);
                _keyDominance = Math.Max(20, k[_keyChannel] - other);
                _keyHigh = (float)Math.Max(0.15, 1 - 4 * clip.Key!.Tolerance);
                _keyLow = _keyHigh * 0.45f;
                LoadBackdrop(clip.BackdropPath);
            }
        }

        private static (int[] Index, int[] Fraction) Axis(int length, float offset, float scale, int limit)
        {
            var index = new int[length];
            var fraction = new int[length];
            for (int i = 0; i < length; i++)
            {
                float c = Math.Clamp((i + 0.5f - offset) / scale - 0.5f, 0, limit - 1.001f);
                index[i] = (int)c;
                fraction[i] = (int)((c - index[i]) * 256);
            }
            return (index, fraction);
        }

        /// <summary>The mesh over the lower face, triangulated once on the reference face with its mouth half open
        /// (so the lip contours are edges and no triangle folds as the mouth opens and closes), and each vertex's
        /// weight in the mask: 1 on the lips and the chin, falling to 0 at the cheeks, the nose and the ring
        /// beyond the jaw.</summary>
        private static (int[] Triangles, float[] Alpha) BuildMesh(ClipAnalysis analysis)
        {
            var reference = FootageAnimator.Face(analysis.Index.Faces[analysis.ReferenceFrame]!);
            var open = new float[68][];
            for (int i = 0; i < 68; i++) open[i] = new float[2];
            new FaceAnimator(reference).Frame(new MouthShape(0.5, 0, 0, 0), 0, (0, 0, 0, 1), open);
            var flat = new float[136];
            for (int i = 0; i < 68; i++) { flat[2 * i] = open[i][0]; flat[2 * i + 1] = open[i][1]; }
            var v = new float[2 * VertexCount];
            Vertices(flat, v);
            var points = new (float X, float Y)[VertexCount];
            for (int i = 0; i < VertexCount; i++) points[i] = (v[2 * i], v[2 * i + 1]);
            var tris = FaceMesh.Delaunay(points);
            int Vertex(int landmark) => Array.IndexOf(MeshPoints, landmark);
            for (int i = 48; i < 60; i++) FaceMesh.Constrain(points, tris, Vertex(i), Vertex(i == 59 ? 48 : i + 1));
            for (int i = 60; i < 68; i++) FaceMesh.Constrain(points, tris, Vertex(i), Vertex(i == 67 ? 60 : i + 1));
            var alpha = new float[VertexCount];
            for (int i = 0; i < MeshPoints.Length; i++)
            {
                int p = MeshPoints[i];
                alpha[i] = p switch
                {
                    1 or 15 => 0f,
                    2 or 14 => 0.15f,
                    3 or 13 => 0.6f,
                    >= 4 and <= 12 => 1f,
                    >= 31 and <= 35 => 0f,
                    _ => 1f,
                };
            }
            var list = new List<int>();
            foreach (var t in tris)
                if (alpha[t.A] + alpha[t.B] + alpha[t.C] > 0) list.AddRange([t.A, t.B, t.C]);
            return (list.ToArray(), alpha);
        }

        /// <summary>Mesh vertices of a face (68 × (x, y)): its mesh landmarks, then the ring beyond the jaw.</summary>
        private static void Vertices(ReadOnlySpan<float> f, Span<float> v)
        {
            for (int i = 0; i < MeshPoints.Length; i++) { v[2 * i] = f[2 * MeshPoints[i]]; v[2 * i + 1] = f[2 * MeshPoints[i] + 1]; }
            float cx = 0, cy = 0;
            for (int i = 48; i < 60; i++) { cx += f[2 * i]; cy += f[2 * i + 1]; }
            cx /= 12; cy /= 12;
            for (int j = 0; j < JawCount; j++)
            {
                float x = f[2 * (j + 1)], y = f[2 * (j + 1) + 1];
                v[2 * (MeshPoints.Length + j)] = x + (x - cx) * RingReach;
                v[2 * (MeshPoints.Length + j) + 1] = y + (y - cy) * RingReach;
            }
        }

        private void Decode(ClipIndex index, CancellationToken ct)
        {
            var baseSet = BaseFrames.ToHashSet();
            var mouthSet = MouthFrames.ToHashSet();
            int last = Math.Max(baseSet.Max(), mouthSet.Max());
            int width = _w, height = _h;
            var v = new float[2 * VertexCount];
            ClipVideo.Decode(_clip.ClipPath, _clip.Info, index.From, null, (i, rgb) =>
            {
                ct.ThrowIfCancellationRequested();
                if (baseSet.Contains(i)) _baseFrames[i] = rgb.ToArray();
                if (mouthSet.Contains(i))
                {
                    Vertices(index.Faces[i]!, v);
                    float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
                    for (int k = 0; k < VertexCount; k++)
                    {
                        minX = Math.Min(minX, v[2 * k]); maxX = Math.Max(maxX, v[2 * k]);
                        minY = Math.Min(minY, v[2 * k + 1]); maxY = Math.Max(maxY, v[2 * k + 1]);
                    }
                    int x0 = Math.Clamp((int)minX - 3, 0, width - 1), y0 = Math.Clamp((int)minY - 3, 0, height - 1);
                    int x1 = Math.Clamp((int)maxX + 4, x0 + 1, width), y1 = Math.Clamp((int)maxY + 4, y0 + 1, height);
                    var crop = new byte[(x1 - x0) * (y1 - y0) * 3];
                    for (int y = y0; y < y1; y++) Buffer.BlockCopy(rgb, (y * width + x0) * 3, crop, (y - y0) * (x1 - x0) * 3, (x1 - x0) * 3);
                    _mouthCrops[i] = (x0, y0, x1 - x0, y1 - y0, crop);
                }
                return i < last;
            }, ct);
            foreach (var b in baseSet)
                if (!_baseFrames.ContainsKey(b))
                    throw StepFailure.Permanent($"presenter '{_track.Presenter}': the clip {_clip.ClipPath} ended before frame {b} of its index; build the index again (delete the cached index)");
            foreach (var m in mouthSet)
                if (!_mouthCrops.ContainsKey(m))
                    throw StepFailure.Permanent($"presenter '{_track.Presenter}': the clip {_clip.ClipPath} ended before frame {m} of its index; build the index again (delete the cached index)");
        }

        /// <summary>Draws output frame <paramref name="k"/> into <see cref="Pixels"/> (BGRA, slot size).</summary>
        public void Draw(int k)
        {
            var baseRgb = _baseFrames[BaseFrames[k]];
            Buffer.BlockCopy(baseRgb, 0, _composite, 0, baseRgb.Length);
            CompositeMouth(k, MouthFrames[k], baseRgb, 1f);
            // Where the mouth cuts to an unrelated part of the clip, half of the previous mouth stays for this one
            // frame (both are warped to the same lips, so nothing doubles): the cut dissolves instead of popping.
            if (k > 0 && MouthFrames[k] - MouthFrames[k - 1] is < 0 or > 2) CompositeMouth(k, MouthFrames[k - 1], _composite, 0.5f);
            if (_keyed) Key();
            Frame();
        }

        /// <summary>Warps the lower face of clip frame <paramref name="m"/> onto the intended face of output frame
        /// <paramref name="k"/> over <paramref name="baseRgb"/> (which may be the composite itself), into the
        /// composite, with the mask scaled by <paramref name="strength"/>.</summary>
        private unsafe void CompositeMouth(int k, int m, byte[] baseRgb, float strength)
        {
            var target = _track.Frames[k];
            Span<float> dstFace = stackalloc float[136];
            for (int i = 0; i < 68; i++) { dstFace[2 * i] = target[i][0]; dstFace[2 * i + 1] = target[i][1]; }
            Vertices(dstFace, _dst);
            Vertices(_clip.Analysis.Index.Faces[m]!, _src);
            var crop = _mouthCrops[m];

            int minX = _w, minY = _h, maxX = -1, maxY = -1;
            bool primary = strength >= 1;
            if (primary)
            {
                _edge.Clear();
                _lastBase = baseRgb;
            }
            fixed (byte* samplePtr = _sample, cropPtr = crop.Rgb)
            fixed (float* alphaPtr = _alpha)
            {
                for (int t = 0; t < _triangles.Length; t += 3)
                {
                    int a = _triangles[t], b = _triangles[t + 1], c = _triangles[t + 2];
                    float ax = _dst[2 * a], ay = _dst[2 * a + 1], bx = _dst[2 * b], by = _dst[2 * b + 1], cx = _dst[2 * c], cy = _dst[2 * c + 1];
                    float denom = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
                    if (MathF.Abs(denom) < 1e-3f) continue;
                    float inv = 1 / denom;
                    int x0 = Math.Max(0, (int)MathF.Floor(MathF.Min(ax, MathF.Min(bx, cx))));
                    int x1 = Math.Min(_w - 1, (int)MathF.Ceiling(MathF.Max(ax, MathF.Max(bx, cx))));
                    int y0 = Math.Max(0, (int)MathF.Floor(MathF.Min(ay, MathF.Min(by, cy))));
                    int y1 = Math.Min(_h - 1, (int)MathF.Ceiling(MathF.Max(ay, MathF.Max(by, cy))));
                    if (x0 > x1 || y0 > y1) continue;
                    minX = Math.Min(minX, x0); maxX = Math.Max(maxX, x1); minY = Math.Min(minY, y0); maxY = Math.Max(maxY, y1);
                    float aa = _vertexAlpha[a], ab = _vertexAlpha[b], ac = _vertexAlpha[c];
                    float sax = _src[2 * a] - crop.X, say = _src[2 * a + 1] - crop.Y;
                    float sbx = _src[2 * b] - crop.X, sby = _src[2 * b + 1] - crop.Y;
                    float scx = _src[2 * c] - crop.X, scy = _src[2 * c + 1] - crop.Y;
                    float cwMax = crop.W - 1.001f, chMax = crop.H - 1.001f;
                    for (int y = y0; y <= y1; y++)
                    {
                        for (int x = x0; x <= x1; x++)
                        {
                            float l0 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) * inv;
                            float l1 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) * inv;
                            float l2 = 1 - l0 - l1;
                            if (l0 < -1e-4f || l1 < -1e-4f || l2 < -1e-4f) continue;
                            float al = l0 * aa + l1 * ab + l2 * ac;
                            if (al <= 0) continue;
                            al = al * al * (3 - 2 * al) * strength;
                            float sx = Math.Clamp(l0 * sax + l1 * sbx + l2 * scx, 0, cwMax);
                            float sy = Math.Clamp(l0 * say + l1 * sby + l2 * scy, 0, chMax);
                            int ix = (int)sx, iy = (int)sy;
                            float fx = sx - ix, fy = sy - iy;
                            byte* p00 = cropPtr + (iy * crop.W + ix) * 3;
                            byte* p10 = p00 + crop.W * 3;
                            int o = y * _w + x;
                            for (int ch = 0; ch < 3; ch++)
                            {
                                float top = p00[ch] + (p00[ch + 3] - p00[ch]) * fx;
                                float bottom = p10[ch] + (p10[ch + 3] - p10[ch]) * fx;
                                samplePtr[o * 3 + ch] = (byte)(top + (bottom - top) * fy + 0.5f);
                            }
                            alphaPtr[o] = al;
                        }
                    }
                }
                if (maxX < 0) return;

                // Colour match: the mouth frame may be lit a little differently; scale each channel by the ratio
                // of the means in the feathered band, where both are seen.
                double br = 0, bg = 0, bb = 0, dr = 0, dg = 0, db = 0;
                int count = 0;
                fixed (byte* basePtr = baseRgb)
                {
                    for (int y = minY; y <= maxY; y++)
                        for (int x = minX; x <= maxX; x++)
                        {
                            int o = y * _w + x;
                            float al = alphaPtr[o];
                            if (al is <= 0.15f or >= 0.85f) continue;
                            br += basePtr[3 * o]; bg += basePtr[3 * o + 1]; bb += basePtr[3 * o + 2];
                            dr += samplePtr[3 * o]; dg += samplePtr[3 * o + 1]; db += samplePtr[3 * o + 2];
                            count++;
                        }
                    float or = 1, og = 1, ob = 1;
                    if (count > 20)
                    {
                        or = Math.Clamp((float)((br + count) / (dr + count)), 0.8f, 1.25f);
                        og = Math.Clamp((float)((bg + count) / (dg + count)), 0.8f, 1.25f);
                        ob = Math.Clamp((float)((bb + count) / (db + count)), 0.8f, 1.25f);
                    }
                    fixed (byte* comp = _composite)
                    {
                        for (int y = minY; y <= maxY; y++)
                            for (int x = minX; x <= maxX; x++)
                            {
                                int o = y * _w + x;
                                float al = alphaPtr[o];
                                if (al <= 0) continue;
                                alphaPtr[o] = 0;
                                if (primary && al is > 0.35f and < 0.65f) _edge.Add(o);
                                int i3 = 3 * o;
                                comp[i3] = Blend(basePtr[i3], samplePtr[i3] * or, al);
                                comp[i3 + 1] = Blend(basePtr[i3 + 1], samplePtr[i3 + 1] * og, al);
                                comp[i3 + 2] = Blend(basePtr[i3 + 2], samplePtr[i3 + 2] * ob, al);
                            }
                    }
                }
            }
        }

        private static byte Blend(byte under, float over, float alpha)
        {
            float v = under + (over - under) * alpha;
            return (byte)(v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5f);
        }

        /// <summary>The matte (255 = presenter) from how much the key's dominant channel exceeds the other two,
        /// relative to the screen's own excess. Edge pixels, part presenter and part screen, get the screen's share
        /// taken out of their colour (so no light fringe is left), then the spill is removed: the key channel is
        /// held to the larger of the other two wherever the presenter shows. The matte is smoothed by a 3×3 binomial
        /// filter so the upscaled edge does not show steps.</summary>
        private unsafe void Key()
        {
            int c0 = _keyChannel, c1 = (c0 + 1) % 3, c2 = (c0 + 2) % 3;
            float invDom = 1 / _keyDominance, low = _keyLow, span = _keyHigh - _keyLow;
            float k0 = _keyRgb[0], k1 = _keyRgb[1], k2 = _keyRgb[2];
            fixed (byte* comp = _composite, matte = _matte, row = _matteRow)
            {
                int n = _w * _h;
                for (int i = 0; i < n; i++)
                {
                    byte* p = comp + 3 * i;
                    int other = Math.Max(p[c1], p[c2]);
                    float ratio = (p[c0] - other) * invDom;
                    float a = 1 - Math.Clamp((ratio - low) / span, 0, 1);
                    a = a * a * (3 - 2 * a);
                    matte[i] = (byte)(a * 255 + 0.5f);
                    if (a is > 0.2f and < 0.98f)
                    {
                        float inv = 1 / a, screen = 1 - a;
                        p[0] = Clamp((p[0] - screen * k0) * inv);
                        p[1] = Clamp((p[1] - screen * k1) * inv);
                        p[2] = Clamp((p[2] - screen * k2) * inv);
                        other = Math.Max(p[c1], p[c2]);
                    }
                    if (p[c0] > other) p[c0] = (byte)other;
                }
                // Separable [1 2 1] / 4 on the matte, rows then columns.
                for (int y = 0; y < _h; y++)
                {
                    byte* m = matte + y * _w;
                    for (int x = 0; x < _w; x++) row[x] = m[x];
                    for (int x = 1; x < _w - 1; x++) m[x] = (byte)((row[x - 1] + 2 * row[x] + row[x + 1] + 2) >> 2);
                }
                for (int x = 0; x < _w; x++)
                {
                    for (int y = 0; y < _h; y++) row[y] = matte[y * _w + x];
                    for (int y = 1; y < _h - 1; y++) matte[y * _w + x] = (byte)((row[y - 1] + 2 * row[y] + row[y + 1] + 2) >> 2);
                }
            }
        }

        private static byte Clamp(float v) => (byte)(v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5f);

        /// <summary>The composite (and backdrop) into the slot, bilinearly, as BGRA.</summary>
        private unsafe void Frame()
        {
            int w3 = _w * 3;
            fixed (byte* comp = _composite, matte = _matte, output = _pixels, backdrop = _backdrop)
            fixed (int* colX = _colX, colF = _colF)
            {
                for (int y = 0; y < _sh; y++)
                {
                    int ry = _rowY[y], fy = _rowF[y], gy = 256 - fy;
                    byte* row0 = comp + ry * w3;
                    byte* row1 = row0 + w3;
                    byte* m0 = matte + ry * _w;
                    byte* m1 = m0 + _w;
                    byte* o = output + y * _sw * 4;
                    byte* bd = backdrop + y * _sw * 4;
                    for (int x = 0; x < _sw; x++, o += 4, bd += 4)
                    {
                        int cx = colX[x], fx = colF[x], gx = 256 - fx;
                        int w00 = gx * gy, w10 = fx * gy, w01 = gx * fy, w11 = fx * fy;
                        byte* a = row0 + cx * 3;
                        byte* b = row1 + cx * 3;
                        int r = (a[0] * w00 + a[3] * w10 + b[0] * w01 + b[3] * w11) >> 16;
                        int g = (a[1] * w00 + a[4] * w10 + b[1] * w01 + b[4] * w11) >> 16;
                        int bl = (a[2] * w00 + a[5] * w10 + b[2] * w01 + b[5] * w11) >> 16;
                        if (_keyed)
                        {
                            int al = (m0[cx] * w00 + m0[cx + 1] * w10 + m1[cx] * w01 + m1[cx + 1] * w11) >> 16;
                            int ia = 255 - al;
                            o[0] = (byte)((bl * al + bd[0] * ia + 127) / 255);
                            o[1] = (byte)((g * al + bd[1] * ia + 127) / 255);
                            o[2] = (byte)((r * al + bd[2] * ia + 127) / 255);
                        }
                        else
                        {
                            o[0] = (byte)bl;
                            o[1] = (byte)g;
                            o[2] = (byte)r;
                        }
                        o[3] = 255;
                    }
                }
            }
        }

        /// <summary>For the last drawn frame, the mean luma gradient magnitude on the mask's edge (where the blend
        /// weight crosses one half) in the composite, and at the same pixels of the untouched base frame: a seam or
        /// a colour step shows as the first exceeding the second.</summary>
        public (double Rendered, double Base) EdgeGradients()
        {
            if (_edge.Count == 0 || _lastBase is null) return (0, 0);
            double rendered = 0, untouched = 0;
            int n = 0;
            foreach (var o in _edge)
            {
                int x = o % _w, y = o / _w;
                if (x < 1 || y < 1 || x >= _w - 1 || y >= _h - 1) continue;
                rendered += Gradient(_composite, x, y);
                untouched += Gradient(_lastBase, x, y);
                n++;
            }
            return n == 0 ? (0, 0) : (rendered / n, untouched / n);
        }

        private double Gradient(byte[] rgb, int x, int y)
        {
            double Luma(int px, int py)
            {
                int i = (py * _w + px) * 3;
                return 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
            }
            double gx = (Luma(x + 1, y) - Luma(x - 1, y)) / 2, gy = (Luma(x, y + 1) - Luma(x, y - 1)) / 2;
            return Math.Sqrt(gx * gx + gy * gy);
        }

        /// <summary>The screen colour: given, or measured as the median of the border pixels of the first base frame
        /// whose dominant channel is the named one.</summary>
        private (int R, int G, int B) KeyColour(ChromaKeySpec key, byte[] rgb)
        {
            if (key.Rgb is { } given) return given;
            int channel = key.Colour == "green" ? 1 : 2;
            var rs = new List<int>(); var gs = new List<int>(); var bs = new List<int>();
            void Take(int x, int y)
            {
                int i = (y * _w + x) * 3;
                Span<int> c = [rgb[i], rgb[i + 1], rgb[i + 2]];
                if (c[channel] > c[(channel + 1) % 3] + 10 && c[channel] > c[(channel + 2) % 3] + 10) { rs.Add(c[0]); gs.Add(c[1]); bs.Add(c[2]); }
            }
            for (int y = 0; y < _h * 2 / 3; y++) for (int x = 0; x < 6; x++) { Take(x, y); Take(_w - 1 - x, y); }
            for (int y = 0; y < 6; y++) for (int x = 0; x < _w; x++) Take(x, y);
            if (rs.Count < 20) return channel == 2 ? (30, 60, 200) : (40, 190, 60);
            int Median(List<int> v) { v.Sort(); return v[v.Count / 2]; }
            return (Median(rs), Median(gs), Median(bs));
        }

        /// <summary>The backdrop scaled to cover the slot, or a calm studio gradient when there is none.</summary>
        private void LoadBackdrop(string? path)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(_sw, _sh, SKColorType.Bgra8888, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(bitmap))
            {
                using var image = path is null ? null : SKImage.FromEncodedData(path);
                if (path is not null && image is null)
                    throw StepFailure.Permanent($"presenter '{_track.Presenter}': the backdrop {path} is not an image this node can decode");
                if (image is not null)
                {
                    float scale = Math.Max((float)_sw / image.Width, (float)_sh / image.Height);
                    float w = image.Width * scale, h = image.Height * scale;
                    canvas.DrawImage(image, SKRect.Create((_sw - w) / 2, (_sh - h) / 2, w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
                }
                else
                {
                    using var paint = new SKPaint
                    {
                        Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, _sh),
                            [new SKColor(0x2A, 0x3B, 0x55), new SKColor(0x0E, 0x16, 0x24)], SKShaderTileMode.Clamp),
                    };
                    canvas.DrawRect(0, 0, _sw, _sh, paint);
                }
            }
            Marshal.Copy(bitmap.GetPixels(), _backdrop, 0, _backdrop.Length);
        }

        public void Dispose()
        {
            _baseFrames.Clear();
            _mouthCrops.Clear();
        }
    }
}
