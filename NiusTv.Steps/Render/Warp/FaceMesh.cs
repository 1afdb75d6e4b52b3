using NiusTv.Steps.Landmarks;

namespace NiusTv.Steps.Render.Warp;

/// <summary>The triangulation the warp renderer moves: the 68 reference points plus a ring of still points
/// around the head, triangulated once per presenter (Delaunay on the reference face). The ring holds the
/// background and the outer hair still while the face inside it moves. The lip contours are forced into the
/// mesh as edges, so no triangle straddles a lip line and opening the mouth never smears lip texture across
/// the mouth; the triangles inside the inner-lip contour are kept apart (the renderer paints the mouth interior
/// over them instead of showing the closed mouth's texture stretched).</summary>
public sealed class FaceMesh
{
    public const int FacePoints = 68;

    /// <summary>Still points on an ellipse around the face.</summary>
    public const int RingPoints = 20;

    /// <summary>Inner-lip contour in order (60 → 67), 0-based dlib indices.</summary>
    public static readonly int[] InnerLips = [60, 61, 62, 63, 64, 65, 66, 67];

    /// <summary>Outer-lip contour in order (48 → 59).</summary>
    public static readonly int[] OuterLips = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59];

    /// <summary>Reference positions of every vertex (68 face points, then the ring), photo pixels.</summary>
    public (float X, float Y)[] Reference { get; }

    /// <summary>Vertex indices, three per triangle: every triangle outside the inner lips.</summary>
    public int[] Triangles { get; }

    /// <summary>Triangles inside the inner-lip contour, whose texture must never be what is seen.</summary>
    public int[] MouthTriangles { get; }

    public int VertexCount => Reference.Length;

    private FaceMesh((float, float)[] reference, int[] triangles, int[] mouth)
    {
        Reference = reference;
        Triangles = triangles;
        MouthTriangles = mouth;
    }

    public static FaceMesh Build(DetectedFace face)
    {
        if (face.Points.Length != FacePoints || face.Points.Any(p => p.Length != 2 || !float.IsFinite(p[0]) || !float.IsFinite(p[1])))
            throw new ArgumentException($"a face needs {FacePoints} finite [x, y] points, got {face.Points.Length}");
        var vertices = new (float X, float Y)[FacePoints + RingPoints];
        for (var i = 0; i < FacePoints; i++) vertices[i] = (face.Points[i][0], face.Points[i][1]);
        foreach (var (i, p) in Ring(face).Select((p, i) => (i, p))) vertices[FacePoints + i] = p;

        var triangles = Delaunay(vertices);
        for (var i = 0; i < InnerLips.Length; i++) Constrain(vertices, triangles, InnerLips[i], InnerLips[(i + 1) % InnerLips.Length]);
        for (var i = 0; i < OuterLips.Length; i++) Constrain(vertices, triangles, OuterLips[i], OuterLips[(i + 1) % OuterLips.Length]);

        var inner = InnerLips.Select(i => vertices[i]).ToArray();
        var warped = new List<int>();
        var mouth = new List<int>();
        foreach (var t in triangles)
        {
            var cx = (vertices[t.A].X + vertices[t.B].X + vertices[t.C].X) / 3;
            var cy = (vertices[t.A].Y + vertices[t.B].Y + vertices[t.C].Y) / 3;
            var allInner = t.A >= 60 && t.A < 68 && t.B >= 60 && t.B < 68 && t.C >= 60 && t.C < 68;
            (allInner && Inside(inner, cx, cy) ? mouth : warped).AddRange([t.A, t.B, t.C]);
        }
        return new FaceMesh(vertices.Select(v => (v.X, v.Y)).ToArray(), [.. warped], [.. mouth]);
    }

    /// <summary>An ellipse around the face box, wide enough to leave the jaw, brows and upper hair line room to
    /// move (idle head motion, an open jaw) without any triangle folding over.</summary>
    private static IEnumerable<(float X, float Y)> Ring(DetectedFace face)
    {
        var xs = face.Points.Select(p => p[0]).ToArray();
        var ys = face.Points.Select(p => p[1]).ToArray();
        var cx = (xs.Min() + xs.Max()) / 2;
        var cy = (ys.Min() + ys.Max()) / 2;
        var rx = (xs.Max() - xs.Min()) / 2 * 1.75f;
        var ry = (ys.Max() - ys.Min()) / 2 * 1.9f;
        for (var k = 0; k < RingPoints; k++)
        {
            var a = 2 * Math.PI * k / RingPoints;
            yield return (cx + rx * (float)Math.Cos(a), cy + ry * (float)Math.Sin(a));
        }
    }

    internal record struct Tri(int A, int B, int C);

    /// <summary>Bowyer–Watson: add points one by one into a super-triangle, re-triangulating the cavity of
    /// triangles whose circumcircle holds the new point. O(n²) on ~90 points, once per presenter.</summary>
    internal static List<Tri> Delaunay((float X, float Y)[] points)
    {
        var n = points.Length;
        var all = new List<(double X, double Y)>(points.Select(p => ((double)p.X, (double)p.Y)));
        var minX = all.Min(p => p.X); var maxX = all.Max(p => p.X);
        var minY = all.Min(p => p.Y); var maxY = all.Max(p => p.Y);
        var d = Math.Max(maxX - minX, maxY - minY) * 20 + 1;
        var mx = (minX + maxX) / 2; var my = (minY + maxY) / 2;
        all.Add((mx - d, my - d)); all.Add((mx + d, my - d)); all.Add((mx, my + d));
        var tris = new List<Tri> { Ccw(all, new Tri(n, n + 1, n + 2)) };
        for (var i = 0; i < n; i++)
        {
            var (px, py) = all[i];
            var bad = tris.Where(t => InCircumcircle(all, t, px, py)).ToList();
            var edges = new Dictionary<(int, int), int>();
            foreach (var t in bad)
                foreach (var e in new[] { (t.A, t.B), (t.B, t.C), (t.C, t.A) })
                {
                    var key = e.Item1 < e.Item2 ? e : (e.Item2, e.Item1);
                    edges[key] = edges.GetValueOrDefault(key) + 1;
                }
            tris.RemoveAll(bad.Contains);
            foreach (var t in bad)
                foreach (var e in new[] { (t.A, t.B), (t.B, t.C), (t.C, t.A) })
                {
                    var key = e.Item1 < e.Item2 ? e : (e.Item2, e.Item1);
                    if (edges[key] == 1) tris.Add(Ccw(all, new Tri(e.Item1, e.Item2, i)));
                }
        }
        tris.RemoveAll(t => t.A >= n || t.B >= n || t.C >= n);
        return tris;
    }

    /// <summary>Makes (a, b) an edge of the triangulation by flipping the edges that cross it (the flip
    /// algorithm for constrained Delaunay edges). Lip contours are short and the crossing edges few.</summary>
    internal static void Constrain((float X, float Y)[] p, List<Tri> tris, int a, int b)
    {
        for (var guard = 0; guard < 200; guard++)
        {
            if (tris.Any(t => HasEdge(t, a, b))) return;
            var flipped = false;
            // Find an edge (u, v) shared by two triangles that crosses segment a–b and whose quad is convex.
            for (var i = 0; i < tris.Count && !flipped; i++)
                foreach (var (u, v) in Edges(tris[i]))
                {
                    if (u == a || u == b || v == a || v == b || !Cross(p[a], p[b], p[u], p[v])) continue;
                    var j = tris.FindIndex(t => t != tris[i] && HasEdge(t, u, v));
                    if (j < 0) continue;
                    var w1 = Opposite(tris[i], u, v);
                    var w2 = Opposite(tris[j], u, v);
                    if (!Cross(p[w1], p[w2], p[u], p[v])) continue; // not convex: flipping would fold
                    var t1 = Ccw(p, new Tri(w1, w2, u));
                    var t2 = Ccw(p, new Tri(w1, w2, v));
                    var (hi, lo) = i > j ? (i, j) : (j, i);
                    tris.RemoveAt(hi); tris.RemoveAt(lo);
                    tris.Add(t1); tris.Add(t2);
                    flipped = true;
                    break;
                }
            if (!flipped) return; // cannot do better; the interior is painted over anyway
        }
    }

    private static bool HasEdge(Tri t, int u, int v) => (t.A == u || t.B == u || t.C == u) && (t.A == v || t.B == v || t.C == v);
    private static IEnumerable<(int, int)> Edges(Tri t) => [(t.A, t.B), (t.B, t.C), (t.C, t.A)];
    private static int Opposite(Tri t, int u, int v) => t.A != u && t.A != v ? t.A : t.B != u && t.B != v ? t.B : t.C;

    private static bool Cross((float X, float Y) p1, (float X, float Y) p2, (float X, float Y) q1, (float X, float Y) q2)
    {
        static double Orient((float X, float Y) a, (float X, float Y) b, (float X, float Y) c) =>
            ((double)b.X - a.X) * ((double)c.Y - a.Y) - ((double)b.Y - a.Y) * ((double)c.X - a.X);
        var d1 = Orient(p1, p2, q1); var d2 = Orient(p1, p2, q2);
        var d3 = Orient(q1, q2, p1); var d4 = Orient(q1, q2, p2);
        return d1 * d2 < 0 && d3 * d4 < 0;
    }

    private static Tri Ccw(IReadOnlyList<(double X, double Y)> p, Tri t)
    {
        var area = (p[t.B].X - p[t.A].X) * (p[t.C].Y - p[t.A].Y) - (p[t.B].Y - p[t.A].Y) * (p[t.C].X - p[t.A].X);
        return area < 0 ? new Tri(t.A, t.C, t.B) : t;
    }

    private static Tri Ccw((float X, float Y)[] p, Tri t) => Ccw(p.Select(q => ((double)q.X, (double)q.Y)).ToList(), t);

    private static bool InCircumcircle(IReadOnlyList<(double X, double Y)> p, Tri t, double x, double y)
    {
        var (ax, ay) = (p[t.A].X - x, p[t.A].Y - y);
        var (bx, by) = (p[t.B].X - x, p[t.B].Y - y);
        var (cx, cy) = (p[t.C].X - x, p[t.C].Y - y);
        var det = (ax * ax + ay * ay) * (bx * cy - cx * by) - (bx * bx + by * by) * (ax * cy - cx * ay) + (cx * cx + cy * cy) * (ax * by - bx * ay);
        return det > 0; // counter-clockwise triangles (in y-down pixels the sign convention flips consistently)
    }

    /// <summary>Even–odd point-in-polygon.</summary>
    internal static bool Inside((float X, float Y)[] poly, float x, float y)
    {
        var inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
            if ((poly[i].Y > y) != (poly[j].Y > y) && x < (poly[j].X - poly[i].X) * (y - poly[i].Y) / (poly[j].Y - poly[i].Y) + poly[i].X)
                inside = !inside;
        return inside;
    }
}
