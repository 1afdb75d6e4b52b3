using static NiusTv.Steps.Publish.PublishStep;
using System.Net;
using System.Text;
using NiusTv.Actors.Stories;

namespace NiusTv.Host.Newsroom;

/// <summary>The newsroom's HTML, rendered on the server: pages work and read before any script runs, and the
/// script (static/newsroom.js) only adds live progress, uploads and the editor's buttons.</summary>
public static class NewsroomPages
{
    public static readonly string[] States = ["accepted", "running", "completed", "failed", "cancelled"];

    public static IResult Html(string body, int status = 200) => Results.Content(body, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>The antiforgery token a page hands its script, issued with its cookie; every change the script sends
    /// carries it back (the CSP allows no inline script, so it travels in a meta tag).</summary>
    public static string AntiforgeryToken(HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().GetAndStoreTokens(ctx).RequestToken!;

    private static string Layout(string title, string main, string page, string? antiforgery) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{{(antiforgery is null ? "" : $"<meta name=\"nius-antiforgery\" content=\"{E(antiforgery)}\">")}}
        <title>{{E(title)}} · NiusTv newsroom</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/newsroom/static/newsroom.css"></head>
        <body data-page="{{page}}"><header><a class="brand" href="/newsroom">NiusTv newsroom</a>
        <nav><a href="/newsroom">Stories</a> <a class="button" href="/newsroom/new">New story</a></nav></header>
        <main>{{main}}</main><script src="/newsroom/static/newsroom.js"></script></body></html>
        """;

    public static string Login(string? error, (string Name, string Value)? antiforgery) => Layout("Log in", $"""
        <h1>Log in</h1><p>This node is reachable from other machines, so the newsroom needs its admin token.</p>
        <form method="post" action="{NewsroomAuth.LoginPath}" class="login">{(antiforgery is { } af ? $"<input type=\"hidden\" name=\"{E(af.Name)}\" value=\"{E(af.Value)}\">" : "")}
        <label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
        {(error is null ? "" : $"<p class=\"error\">{E(error)}</p>")}<button type="submit">Log in</button></form>
        """, "login", antiforgery?.Value);

    public static string List(IReadOnlyList<StoryState> stories, IReadOnlyList<Drafts.DraftInfo> drafts, string? state, string antiforgery)
    {
        var sb = new StringBuilder();
        sb.Append("<h1>Stories</h1><nav class=\"filter\" aria-label=\"Filter by state\">");
        sb.Append($"<a href=\"/newsroom\"{(state is null ? " aria-current=\"page\"" : "")}>all</a>");
        foreach (var s in States)
            sb.Append($" <a href=\"/newsroom?state={s}\"{(state == s ? " aria-current=\"page\"" : "")}>{s}</a>");
        sb.Append("</nav>");
        if (state is null && drafts.Count > 0)
        {
            sb.Append("<h2>Drafts</h2><ul class=\"drafts\">");
            foreach (var d in drafts)
                sb.Append($"<li><a href=\"/newsroom/stories/{E(d.Id)}/edit\">{E(string.IsNullOrWhiteSpace(d.Title) ? d.Id : d.Title)}</a> " +
                          $"<span class=\"muted\">{E(d.Id)} · saved <time datetime=\"{d.SavedAt:O}\">{d.SavedAt:yyyy-MM-dd HH:mm}</time></span></li>");
            sb.Append("</ul>");
        }
        if (stories.Count == 0)
            sb.Append(state is null ? "<p class=\"empty\">No stories yet. <a href=\"/newsroom/new\">Write the first one.</a></p>"
                : $"<p class=\"empty\">No {E(state)} stories.</p>");
        else
        {
            sb.Append("<table class=\"stories\"><thead><tr><th>Poster</th><th>Story</th><th>State</th><th>Progress</th><th>Render time</th><th>Accepted</th></tr></thead><tbody>");
            foreach (var s in stories)
            {
                var view = StoryView.From(s);
                var poster = s.Poster is null ? "<div class=\"poster none\"></div>"
                    : $"<img class=\"poster\" src=\"/videos/{E(PublishedName(s.Id, s.Story?.Outputs.FirstOrDefault()?.Name))}.jpg?r={s.Revision}\" alt=\"poster of {E(s.Story?.Title)}\" loading=\"lazy\">";
                sb.Append($"""
                    <tr data-story="{E(s.Id)}" data-state="{view.State}"><td>{poster}</td>
                    <td class="story"><a href="/newsroom/stories/{E(s.Id)}">{E(s.Story?.Title ?? s.Id)}</a><div class="muted">{E(s.Id)} · revision {s.Revision}</div></td>
                    <td><span class="state {view.State}" data-role="state">{view.State}</span></td>
                    <td><div class="steps" data-role="steps">{StepsMarkup(view.Steps)}</div></td>
                    <td data-role="duration">{DurationPhrase(view.State, view.DurationSeconds)}</td>
                    <td>{(s.AcceptedAt is { } a ? $"<time datetime=\"{a:O}\">{a:yyyy-MM-dd HH:mm}</time>" : "")}</td></tr>
                    """);
            }
            sb.Append("</tbody></table>");
        }
        return Layout("Stories", sb.ToString(), "list", antiforgery);
    }

    /// <summary>How long a finished story took, said for how it ended (a cancelled story was not "rendered"); the
    /// script says the same (newsroom.js, durationPhrase).</summary>
    private static string DurationPhrase(string state, double? seconds) => seconds is not { } d ? "" : state switch
    {
        "completed" => $"rendered in {d:0.0} s",
        "failed" => $"failed after {d:0.0} s",
        "cancelled" => $"cancelled after {d:0.0} s",
        _ => "",
    };

    /// <summary>The same segments the script redraws from <c>GET /api/stories/{id}</c>, so the bar is right before
    /// the first fetch returns.</summary>
    private static string StepsMarkup(IEnumerable<StepView> steps)
    {
        var sb = new StringBuilder();
        foreach (var step in steps)
            sb.Append($"<div class=\"step {step.State}\" title=\"{E(step.Name)}: {step.State}\"><div class=\"fill\" style=\"width:{step.Progress * 100:0}%\"></div><span>{E(step.Name)}</span></div>");
        return sb.ToString();
    }

    /// <summary>The WebVTT captions as the player's track, when this revision published them (a story whose
    /// <c>captions</c> are <c>burned</c> or <c>none</c> has none, and an older file must not be offered for it).</summary>
    private static string CaptionTrack(StoryView v, string? rendition) =>
        v.Steps.FirstOrDefault(s => s.Name == NiusTv.Steps.Publish.PublishStep.Definition.Name) is { State: "completed" } publish
            && publish.Artifacts.ContainsKey(NiusTv.Steps.Artifacts.OfRendition(NiusTv.Steps.Artifacts.CaptionsVtt, rendition))
            ? $"<track kind=\"captions\" srclang=\"en\" label=\"Captions\" src=\"/videos/{E(PublishedName(v.Id, rendition))}.vtt?r={v.Revision}\" default>"
            : "";

    public static string Story(StoryView v, bool hasDraft, string antiforgery)
    {
        // A story with renditions shows its first; each one can be downloaded.
        var first = v.Renditions?.FirstOrDefault()?.Name;
        var name = PublishedName(v.Id, first);
        var downloads = v.Renditions is { Count: > 0 } rs
            ? string.Join(" · ", rs.Select(r => $"<a href=\"/videos/{E(PublishedName(v.Id, r.Name))}.mp4\" download=\"{E(PublishedName(v.Id, r.Name))}.mp4\">{E(r.Name)} ({r.Width}×{r.Height})</a>"))
            : $"<a href=\"/videos/{E(v.Id)}.mp4\" download=\"{E(v.Id)}.mp4\">Download the MP4</a>";
        var video = v.State == "completed" && v.Video is not null
            ? $"""
              <figure class="watch"><video controls preload="metadata" poster="/videos/{E(name)}.jpg?r={v.Revision}" src="/videos/{E(name)}.mp4?r={v.Revision}">{CaptionTrack(v, first)}</video>
              <figcaption>The video shows revision {v.Revision}. {downloads}</figcaption></figure>
              """
            : v.State is "failed" or "cancelled" ? $"<p class=\"error\">{E(v.Error ?? v.State)}</p>"
            : $"<p class=\"muted\" data-role=\"waiting\">Revision {v.Revision} is {v.State}; its video appears here when it is done.</p>";
        return Layout(v.Title ?? v.Id, $"""
            <h1>{E(v.Title ?? v.Id)}</h1>
            <p class="muted">{E(v.Id)} · <span data-role="revision">revision {v.Revision}</span> · {E(v.Priority)} · <span class="state {v.State}" data-role="state">{v.State}</span>
             · <a href="/newsroom/stories/{E(v.Id)}/edit">{(hasDraft ? "Continue the draft" : "Edit")}</a></p>
            <div data-story="{E(v.Id)}" data-state="{v.State}" data-revision="{v.Revision}"><div class="steps big" data-role="steps">{StepsMarkup(v.Steps)}</div>
            <p data-role="duration">{DurationPhrase(v.State, v.DurationSeconds)}</p></div>
            {video}
            """, "story", antiforgery);
    }

    public static string Editor(EditorDocument d, bool isNew, StoryView? published, IReadOnlyList<NiusTv.Steps.Speech.VoiceInfo> voices, string antiforgery)
    {
        var sb = new StringBuilder();
        sb.Append($"<h1>{(isNew ? "New story" : "Edit " + E(d.Title))}</h1>");
        if (published is not null)
            sb.Append($"<p class=\"muted\">Published as revision {published.Revision} ({published.State}). Publishing again makes revision {published.Revision + 1}.</p>");
        sb.Append("""<form id="editor" novalidate><p class="error" data-error-for="" hidden></p>""");
        sb.Append($"""
            <label>Title <input name="title" data-field="title" value="{E(d.Title)}" maxlength="300"></label><p class="error" data-error-for="title" hidden></p>
            <label>Story id <input name="id" data-field="id" value="{E(d.Id)}" {(isNew ? "" : "readonly")} pattern="[a-z0-9-]{"{1,64}"}"
              placeholder="from the title"></label><p class="error" data-error-for="id" hidden></p>
            <fieldset><legend>Paragraphs</legend><div id="paragraphs">
            """);
        for (var i = 0; i < d.Paragraphs.Count; i++) sb.Append(ParagraphRow(i, d.Paragraphs[i]));
        sb.Append("""</div><p class="error" data-error-for="paragraphs" hidden></p><button type="button" data-action="add-paragraph">Add a paragraph</button></fieldset>""");
        sb.Append("""<fieldset><legend>Images</legend><div id="images">""");
        for (var i = 0; i < d.Images.Count; i++) sb.Append(ImageRow(i, d.Images[i]));
        sb.Append("""
            </div><p class="error" data-error-for="images" hidden></p>
            <label class="upload">Add images (JPEG, PNG or WebP, up to 50 MB) <input type="file" id="image-files" accept="image/jpeg,image/png,image/webp" multiple></label>
            </fieldset><fieldset><legend>Presentation</legend>
            """);
        var shape = $"{d.Width}x{d.Height}";
        // The one shape of a story without renditions; hidden (and not sent) while the story has renditions below.
        sb.Append($"<div data-role=\"single-output\"{(d.Outputs.Count > 0 ? " hidden" : "")}><label>Shape <select name=\"shape\" data-field=\"output\">");
        var known = false;
        foreach (var (name, w, h) in EditorDocument.Shapes)
        {
            known |= shape == $"{w}x{h}";
            sb.Append($"<option value=\"{w}x{h}\"{(shape == $"{w}x{h}" ? " selected" : "")}>{name} ({w}×{h})</option>");
        }
        if (!known) sb.Append($"<option value=\"{shape}\" selected>this story's {d.Width}×{d.Height}</option>");
        sb.Append($"""
            </select></label><input type="hidden" name="fps" value="{d.Fps}"><p class="error" data-error-for="output" hidden></p></div>
            <div class="renditions"><p class="muted">Renditions: the same video in several shapes at once, each published as
            <code>{E(d.Id == "" ? "ID" : d.Id)}-NAME.mp4</code>. A story without renditions is
            made in one shape, picked above; removing the last rendition brings that picker back.</p>
            <div id="outputs">{string.Concat(d.Outputs.Select(OutputRow))}</div><p class="error" data-error-for="outputs" hidden></p>
            <button type="button" data-action="add-output">Add a rendition</button></div>
            <label>Priority <select name="priority" data-field="priority"><option value="normal"{(d.Priority == "breaking" ? "" : " selected")}>normal</option>
              <option value="breaking"{(d.Priority == "breaking" ? " selected" : "")}>breaking news</option></select></label><p class="error" data-error-for="priority" hidden></p>
            <label>Captions <select name="captions" data-field="captions">{string.Concat(EditorDocument.CaptionChoices.Select(c =>
                $"<option value=\"{c.Value}\"{(d.Captions == c.Value ? " selected" : "")}>{E(c.Label)}</option>"))}</select></label><p class="error" data-error-for="captions" hidden></p>
            <label>Brand <input name="brand" data-field="brand" value="{E(d.Brand)}"></label><p class="error" data-error-for="brand" hidden></p>
            <label>Presenter <input name="presenter" data-field="presenter" value="{E(d.Presenter)}"></label><p class="error" data-error-for="presenter" hidden></p>
            <label>Voice <select name="voice" data-field="voice">{VoiceOptions(d.Voice, voices)}</select></label><p class="error" data-error-for="voice" hidden></p>
            </fieldset>
            <fieldset><legend>Pronunciations</legend>
            <p class="muted">How to say names and words the voice gets wrong: CMU phones (<code>R UW IY S</code>) or a respelling
            (<code>roo-EES</code>, the stressed syllable in capitals). This story's entries win over the newsroom dictionary.</p>
            <div id="pronunciations">
            """);
        foreach (var entry in d.Entries) sb.Append(PronunciationRow(entry));
        sb.Append("""
            </div><p class="error" data-error-for="pronunciations" hidden></p>
            <button type="button" data-action="add-pronunciation">Add a word</button>
            <button type="button" data-action="check-words">Find unusual words</button> <span data-role="check-status" class="muted"></span>
            </fieldset>
            <div class="actions"><button type="button" data-action="save-draft">Save draft</button>
            <button type="button" class="primary" data-action="publish">Publish</button> <span data-role="status" class="muted"></span></div>
            </form>
            <template id="paragraph-row">
            """);
        sb.Append(ParagraphRow(-1, "")).Append("</template><template id=\"image-row\">").Append(ImageRow(-1, new EditorImage("", "", 0))).Append("</template>");
        sb.Append("<template id=\"pronunciation-row\">").Append(PronunciationRow(new EditorPronunciation("", ""))).Append("</template>");
        sb.Append("<template id=\"output-row\">").Append(OutputRow(new EditorRendition("", 0, 0, 0))).Append("</template>");
        return Layout(isNew ? "New story" : d.Title, sb.ToString(), "editor", antiforgery);
    }

    /// <summary>"default" first (the presenter's voice, else the node's), then each voice the node has; a voice the story
    /// names that the node lacks stays selectable, so publishing says why it is refused.</summary>
    private static string VoiceOptions(string current, IReadOnlyList<NiusTv.Steps.Speech.VoiceInfo> voices)
    {
        var sb = new StringBuilder();
        sb.Append($"<option value=\"default\"{(current == "default" ? " selected" : "")}>default (the presenter's, else {(voices.Count > 0 ? E(voices[0].Name) : "none")})</option>");
        foreach (var v in voices)
            sb.Append($"<option value=\"{E(v.Name)}\"{(current.Equals(v.Name, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{E(v.Name)} ({E(v.Gender)}, {E(v.Language)}, {E(v.Backend)})</option>");
        if (current != "default" && !voices.Any(v => v.Name.Equals(current, StringComparison.OrdinalIgnoreCase)))
            sb.Append($"<option value=\"{E(current)}\" selected>{E(current)}</option>");
        return sb.ToString();
    }

    private static string PronunciationRow(EditorPronunciation p) => $"""
        <div class="pronunciation row"><label>Word <input data-field="word" value="{E(p.Word)}"></label>
        <label>Say it <input data-field="pronunciation" value="{E(p.Pronunciation)}" placeholder="R UW IY S or roo-EES"></label>
        <span class="muted" data-role="phones"></span>
        <button type="button" data-action="listen" title="Hear the word as the story's voice says it">Listen</button>
        <button type="button" data-action="save-newsroom" title="Every story says it so">Save to newsroom</button>
        <button type="button" data-action="remove" title="Remove this word">×</button><p class="error" data-error-slot hidden></p></div>
        """;

    private static string Number(int value) => value > 0 ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

    private static string OutputRow(EditorRendition r) => $"""
        <div class="output row"><label>Name <input data-field="name" value="{E(r.Name)}" placeholder="landscape" maxlength="32"></label>
        <label>Width <input type="number" data-field="width" value="{Number(r.Width)}" min="160" max="3840" step="2"></label>
        <label>Height <input type="number" data-field="height" value="{Number(r.Height)}" min="90" max="2160" step="2"></label>
        <label>fps <input type="number" data-field="fps" value="{Number(r.Fps)}" min="1" max="60"></label>
        <button type="button" data-action="remove" title="Remove this rendition">×</button><p class="error" data-error-slot hidden></p></div>
        """;

    // Rows carry no index in their names: the script numbers them when it reads the form, as the story will.
    private static string ParagraphRow(int i, string text) => $"""
        <div class="paragraph row"><textarea data-field="paragraph" rows="3" aria-label="paragraph">{E(text)}</textarea>
        <button type="button" data-action="remove" title="Remove this paragraph">×</button><p class="error" data-error-slot hidden></p></div>
        """;

    private static string ImageRow(int i, EditorImage im) => $"""
        <div class="image row" data-uri="{E(im.Uri)}"><img class="thumb" alt="" src="{(im.Uri == "" ? "" : "/newsroom/assets/" + E(im.Uri))}">
        <div><div class="muted" data-role="uri">{E(im.Uri)}</div>
        <label>Caption <input data-field="caption" value="{E(im.Caption)}"></label>
        <label>Shown with paragraph <input type="number" min="1" data-field="paragraph" value="{im.Paragraph + 1}"></label>
        <p class="error" data-error-slot hidden></p></div><button type="button" data-action="remove" title="Remove this image">×</button></div>
        """;
}
