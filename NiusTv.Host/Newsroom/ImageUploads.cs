using NiusTv.Steps.Stories;
using NiusTv.Host.Node;
using NiusTv.Steps.Init;
using NiusTv.Host.Admin;

namespace NiusTv.Host.Newsroom;

/// <summary>Images uploaded from the editor into the local assets folder, under <c>uploads/&lt;story-id&gt;/&lt;n&gt;.&lt;ext&gt;</c>.
/// The name is ours, never the browser's, so nothing an editor names a file can reach outside that folder; the type
/// comes from the bytes, not the file name or the Content-Type header.</summary>
public static class ImageUploads
{
    public const long MaxBytes = ImageLimits.DefaultMaxBytes;

    private static readonly Lock NameLock = new();

    public sealed record Uploaded(string Uri, string Format, int Width, int Height, long Bytes);

    public static void MapImageUploads(this WebApplication app)
    {
        app.MapPost("/api/uploads/{storyId}", async (string storyId, HttpContext ctx, NodeSettings settings, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(storyId))
                return Results.BadRequest(new { error = $"'{storyId}' is not a story id (lowercase letters, digits and '-', 1 to 64)" });
            if (NodeSettings.IsGcs(settings.Assets))
                return Results.BadRequest(new { error = $"the assets are in {settings.Assets}; uploads from the newsroom need a local --assets folder" });
            // The body is the image's bytes. A form or text body is what another site's page can send without
            // asking first; the newsroom sends the file's own type (or none), the CLI and scripts image/* or octet-stream.
            if (ctx.Request.HasFormContentType || ctx.Request.ContentType?.StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true)
                return Results.Json(new { error = $"send the image's bytes as the body (Content-Type image/… or application/octet-stream), not '{ctx.Request.ContentType}'" },
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
            if (ctx.Request.ContentLength > MaxBytes) return TooLarge();
            // Kestrel's limit for this node (2 MB) is below the pipeline's 50 MB; this endpoint counts the bytes itself.
            AdminSurface.RaiseBodyLimit(ctx, MaxBytes + (1 << 20));

            var folder = Path.Combine(settings.AssetsLocation, "uploads", storyId);
            Directory.CreateDirectory(folder);
            var temp = Path.Combine(folder, $".upload-{Guid.NewGuid():N}");
            try
            {
                long total = 0;
                await using (var file = File.Create(temp))
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await ctx.Request.Body.ReadAsync(buffer, ct)) > 0)
                    {
                        total += n;
                        if (total > MaxBytes) return TooLarge();
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    }
                }
                if (total == 0) return Results.BadRequest(new { error = "the upload is empty" });
                var ext = Sniff(temp);
                if (ext is null)
                    return Results.BadRequest(new { error = "the file is not a JPEG, PNG or WebP image (judged by its content, not its name)" });
                // The same check as init, whole decode included: what the editor is told was accepted, init accepts.
                InspectedImage image;
                try { image = ImageInspector.Inspect(temp, ImageLimits.Default); }
                catch (ImageRejectedException e)
                {
                    return Results.BadRequest(new { error = $"the upload {e.Message}" });
                }
                string name;
                // Numbers count images of the story whatever their type (1.jpg, 2.png): one lock for the node,
                // since two uploads of one story can arrive at once.
                lock (NameLock)
                {
                    var i = 1;
                    while (Directory.EnumerateFiles(folder, $"{i}.*").Any()) i++;
                    name = $"{i}.{image.Extension}";
                    File.Move(temp, Path.Combine(folder, name), overwrite: false);
                }
                return Results.Ok(new Uploaded($"uploads/{storyId}/{name}", image.Extension, image.Width, image.Height, total));
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }).DisableAntiforgery();
    }

    private static IResult TooLarge() =>
        Results.BadRequest(new { error = $"the image is larger than {MaxBytes / (1024 * 1024)} MB" });

    /// <summary>The extension the content deserves: jpg, png or webp; null for anything else.</summary>
    public static string? Sniff(string path)
    {
        Span<byte> head = stackalloc byte[12];
        using var f = File.OpenRead(path);
        var n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "jpg";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return "png";
        if (n == 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return "webp";
        return null;
    }

    public static string? ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        _ => null,
    };
}
