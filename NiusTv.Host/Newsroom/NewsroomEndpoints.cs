using NiusTv.Steps.Stories;
using System.Reflection;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using NiusTv.Actors.Stories;
using NiusTv.Host.Admin;

namespace NiusTv.Host.Newsroom;

/// <summary>The editors' newsroom, served by the node on its admin endpoint: pages under <c>/newsroom</c>, the
/// drafts, uploads and live-events API beside the admin API. Publishing goes through <c>POST /api/stories</c>, the
/// same path and validator as <c>nius publish</c>.</summary>
public static class NewsroomEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void MapNewsroom(this WebApplication app, string? token)
    {
        app.MapNewsroomLogin(token);
        app.MapStoryEventStream();
        app.MapImageUploads();
        app.MapMediaFiles();
        MapStatic(app);

        app.MapGet("/", () => Results.Redirect("/newsroom"));

        app.MapGet("/newsroom", async (HttpContext ctx, string? state, StoryCatalog catalog, Drafts drafts, CancellationToken ct) =>
        {
            if (state is not null && !NewsroomPages.States.Contains(state)) state = null;
            var stories = (await catalog.ListAsync(ct))
                .Where(s => state is null || StoryView.StateName(s.Status) == state)
                .OrderByDescending(s => s.AcceptedAt)
                .ToList();
            return NewsroomPages.Html(NewsroomPages.List(stories, drafts.List(), state, NewsroomPages.AntiforgeryToken(ctx)));
        });

        app.MapGet("/newsroom/new", (HttpContext ctx) =>
            NewsroomPages.Html(NewsroomPages.Editor(EditorDocument.Empty, isNew: true, published: null, Voices(app), NewsroomPages.AntiforgeryToken(ctx))));

        app.MapGet("/newsroom/stories/{id}", async (HttpContext ctx, string id, IRequiredActor<StoryActor> region, Drafts drafts, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound();
            var reply = await region.ActorRef.Ask<object>(new StoryQueries.GetStory(id), AskTimeout, ct);
            if (reply is StoryView view) return NewsroomPages.Html(NewsroomPages.Story(view, drafts.Get(id) is not null, NewsroomPages.AntiforgeryToken(ctx)));
            // Never published: a draft opens in the editor.
            return drafts.Get(id) is not null ? Results.Redirect($"/newsroom/stories/{id}/edit") : Results.NotFound();
        });

        app.MapGet("/newsroom/stories/{id}/edit", async (HttpContext ctx, string id, IRequiredActor<StoryActor> region, StoryCatalog catalog, Drafts drafts, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound();
            var view = await region.ActorRef.Ask<object>(new StoryQueries.GetStory(id), AskTimeout, ct) as StoryView;
            // A saved draft is newer work than the published revision: it wins.
            if (drafts.Get(id) is { } draft)
                return NewsroomPages.Html(NewsroomPages.Editor(EditorDocument.From(draft), isNew: view is null, view, Voices(app), NewsroomPages.AntiforgeryToken(ctx)));
            var published = view is null ? null : (await catalog.FindAsync(id, ct))?.Story;
            return published is null ? Results.NotFound()
                : NewsroomPages.Html(NewsroomPages.Editor(EditorDocument.From(published), isNew: false, view, Voices(app), NewsroomPages.AntiforgeryToken(ctx)));
        });

        var drafts = app.MapGroup("/api/drafts");
        drafts.MapGet("", (Drafts d) => Results.Ok(d.List()));
        drafts.MapGet("/{id}", (string id, Drafts d) =>
            StoryParser.IsValidId(id) && d.Get(id) is { } doc ? Results.Ok(doc) : Results.NotFound(new AdminApi.ErrorBody($"no draft '{id}'")));
        drafts.MapPut("/{id}", async (string id, HttpRequest request, Drafts d, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.BadRequest(new AdminApi.ErrorBody($"'{id}' is not a story id (lowercase letters, digits and '-', 1 to 64)",
                [new("id", "must be 1 to 64 lowercase letters, digits or '-'")]));
            if (AdminSurface.RequireJson(request, "the draft") is { } wrongType) return wrongType;
            // Counted while it arrives, chunked or not; nothing past the limit is read.
            if (await AdminSurface.ReadCappedAsync(request, Drafts.MaxBytes, ct) is not { } body)
                return Results.BadRequest(new AdminApi.ErrorBody($"the draft is larger than {Drafts.MaxBytes} bytes"));
            if (!System.Text.Unicode.Utf8.IsValid(body))
                return Results.BadRequest(new AdminApi.ErrorBody("the draft is not valid UTF-8"));
            JsonElement doc;
            try { doc = JsonDocument.Parse(body).RootElement.Clone(); }
            catch (JsonException e) { return Results.BadRequest(new AdminApi.ErrorBody("the draft is not JSON: " + e.Message)); }
            if (doc.ValueKind != JsonValueKind.Object) return Results.BadRequest(new AdminApi.ErrorBody("a draft is a JSON object"));
            var errors = Drafts.TextProblems(doc);
            if (errors.Count > 0)
                return Results.BadRequest(new AdminApi.ErrorBody("the draft holds text that cannot be kept: " + string.Join("; ", errors), errors));
            d.Save(id, doc);
            return Results.Ok(new { id, saved = true });
        });
        // Idempotent: publishing a story that had no draft asks for the same end state, no draft.
        drafts.MapDelete("/{id}", (string id, Drafts d) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound();
            d.Delete(id);
            return Results.NoContent();
        });
    }

    /// <summary>The pronunciation editor needs the g2p chain of the talking-anchor issue, which no node has yet; the
    /// page says so rather than showing made-up phones.</summary>
    private static IReadOnlyList<NiusTv.Steps.Speech.VoiceInfo> Voices(WebApplication app) =>
        app.Services.GetService<NiusTv.Steps.Speech.SpeechStep>()?.Voices ?? [];

    /// <summary>The page's script and style ship inside the executable, so a node needs no web root on disk.</summary>
    private static void MapStatic(WebApplication app)
    {
        var assembly = typeof(NewsroomEndpoints).Assembly;
        app.MapGet("/newsroom/static/{file}", (string file) =>
        {
            var type = Path.GetExtension(file) switch { ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8", _ => null };
            var stream = type is null ? null : assembly.GetManifestResourceStream("NiusTv.Host.Newsroom.static." + file);
            return stream is null ? Results.NotFound() : Results.Stream(stream, type);
        }).AllowAnonymous(); // the login page needs them
    }
}
