using System.Text.RegularExpressions;

namespace NiusTv.Steps.Stories;

/// <summary>The one rule for image <c>uri</c>s (and object names in the output store): a relative path under a
/// store root, or <c>gs://bucket/path</c>. Shared by the parser and the stores so that a uri the parser let
/// through can never mean something different to a store.</summary>
public static partial class AssetUri
{
    public const int MaxLength = 1024;
    public const string GcsPrefix = "gs://";

    /// <summary>Null when <paramref name="uri"/> is acceptable; otherwise the broken rule, phrased to follow
    /// "the uri …" in a message.</summary>
    public static string? Problem(string uri, bool allowGcs = true)
    {
        if (uri.Length == 0 || string.IsNullOrWhiteSpace(uri)) return "must not be empty";
        if (uri.Length > MaxLength) return $"is {uri.Length} characters long; the limit is {MaxLength}";
        if (uri.Any(char.IsControl)) return "must not contain control characters";

        if (uri.StartsWith(GcsPrefix, StringComparison.Ordinal))
        {
            if (!allowGcs) return "must be a relative path here; gs:// is not accepted by this store";
            var rest = uri[GcsPrefix.Length..];
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest[..slash];
            if (!GcsBucket().IsMatch(bucket))
                return $"has an invalid bucket name '{bucket}' (gs://bucket/path, bucket: 3–63 of a-z 0-9 . _ -)";
            if (slash < 0 || slash == rest.Length - 1) return "must name an object inside the bucket (gs://bucket/path)";
            return RelativeProblem(rest[(slash + 1)..]);
        }

        // Checked before the scheme rule because "C:\x" would otherwise read as a scheme called "C".
        if (uri[0] == '/' || uri[0] == '\\' || DriveLetter().IsMatch(uri))
            return "must not be an absolute path; give a path relative to the asset root (e.g. images/photo.jpg)";
        if (uri.Contains('\\')) return "must not contain backslashes; separate folders with '/'";
        var scheme = Scheme().Match(uri);
        if (scheme.Success)
            return $"uses the scheme '{scheme.Value}', which is not allowed; give a path relative to the asset root or gs://bucket/path";
        return RelativeProblem(uri);
    }

    private static string? RelativeProblem(string path)
    {
        if (path.Contains('\\')) return "must not contain backslashes; separate folders with '/'";
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0) return "must not contain empty path segments ('//' or a trailing '/')";
            if (segment == "..") return "must not contain '..' segments";
            if (segment == ".") return "must not contain '.' segments";
        }
        return null;
    }

    [GeneratedRegex("^[A-Za-z]:")]
    private static partial Regex DriveLetter();

    // RFC 3986 scheme syntax, anchored before any '/' so "images/a:b.jpg" is still a path.
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\z")]
    private static partial Regex GcsBucket();
}
