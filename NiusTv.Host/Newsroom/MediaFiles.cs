using NiusTv.Host.Node;
using NiusTv.Steps.Storage;

namespace NiusTv.Host.Newsroom;

/// <summary>Finished videos, posters and caption files (WebVTT for the player's track, SRT) from the local out folder, and story images from the local assets folder,
/// for the page. Videos go out with range processing so the player can seek without loading the whole file.</summary>
public static class MediaFiles
{
    public static void MapMediaFiles(this WebApplication app)
    {
        app.MapGet("/videos/{file}", (string file, NodeSettings settings) =>
        {
            var ext = Path.GetExtension(file);
            var id = Path.GetFileNameWithoutExtension(file);
            var type = ext switch
            {
                ".mp4" => "video/mp4", ".jpg" => "image/jpeg",
                ".vtt" => "text/vtt; charset=utf-8", ".srt" => "application/x-subrip; charset=utf-8", _ => null,
            };
            if (type is null || !NiusTv.Steps.Publish.PublishStep.IsPublishedName(id)) return Results.NotFound();
            if (NodeSettings.IsGcs(settings.Out))
                return Results.NotFound(new { error = $"videos are in {settings.Out}; the node serves only a local --out folder" });
            var path = Path.Combine(settings.OutLocation, "videos", id + ext);
            return File.Exists(path) ? Results.File(path, type, enableRangeProcessing: true) : Results.NotFound();
        });

        app.MapGet("/newsroom/assets/{**uri}", async (string uri, NodeSettings settings, CancellationToken ct) =>
        {
            var type = ImageUploads.ContentTypeOf(uri);
            if (type is null || NodeSettings.IsGcs(settings.Assets)) return Results.NotFound();
            // The store's own containment rules decide what is servable: nothing outside the assets root.
            // A FIFO, device, empty file or symbolic link loop is refused by the store before anything is opened:
            // a 404 that names the problem, never a request that hangs or a 500.
            try { return Results.Stream(await new LocalFolderAssetStore(settings.AssetsLocation).OpenReadAsync(uri, ct), type); }
            catch (AssetRejectedException e) { return Results.NotFound(new { error = e.Message }); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                return Results.NotFound();
            }
        });
    }
}
