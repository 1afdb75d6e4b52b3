using System.Globalization;

namespace NiusTv.Steps.Render.Footage;

/// <summary>What the footage renderer needs of a clip presenter, loaded once per node.</summary>
/// <param name="ClipPath">The clip in the presenter folder.</param>
/// <param name="Info">The clip's decoded size and frame rate.</param>
/// <param name="Analysis">The presenter index and what was measured on it.</param>
/// <param name="Key">The chroma key, or null when the clip's background is shown as it is.</param>
/// <param name="BackdropPath">The image behind a keyed presenter (null: a plain studio gradient).</param>
public sealed record ClipPresenter(string ClipPath, string Sha256, ClipVideoInfo Info, ClipAnalysis Analysis, ChromaKeySpec? Key,
    string? BackdropPath);

/// <summary>A chroma key: the screen colour (<c>blue</c> and <c>green</c> are measured on the clip's border,
/// <c>#RRGGBB</c> is taken as given) and how far from it (0–1 in normalized chroma) a pixel still counts as
/// screen.</summary>
public sealed record ChromaKeySpec(string Colour, double Tolerance)
{
    public const double DefaultTolerance = 0.12;

    /// <summary>The explicit colour, or null for <c>blue</c>/<c>green</c> (measured on the clip).</summary>
    public (byte R, byte G, byte B)? Rgb => Colour.StartsWith('#')
        ? (byte.Parse(Colour.AsSpan(1, 2), NumberStyles.HexNumber), byte.Parse(Colour.AsSpan(3, 2), NumberStyles.HexNumber),
            byte.Parse(Colour.AsSpan(5, 2), NumberStyles.HexNumber))
        : null;

    /// <summary>Null with the reason when the text is not a key this renderer knows.</summary>
    public static ChromaKeySpec? TryParse(string colour, double? tolerance, out string? error)
    {
        error = null;
        var c = colour.Trim().ToLowerInvariant();
        var tol = tolerance ?? DefaultTolerance;
        if (tol is <= 0 or > 1) { error = $"a key tolerance is between 0 and 1, not {tol}"; return null; }
        if (c is "blue" or "green") return new ChromaKeySpec(c, tol);
        if (c.Length == 7 && c[0] == '#' && c.Skip(1).All(Uri.IsHexDigit)) return new ChromaKeySpec(c, tol);
        error = $"a key is blue, green or #RRGGBB, not '{colour}'";
        return null;
    }
}
