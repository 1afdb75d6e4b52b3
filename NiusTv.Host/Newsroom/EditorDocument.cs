using System.Text.Json;
using NiusTv.Steps.Stories;

namespace NiusTv.Host.Newsroom;

/// <summary>What the editor form shows: a story as an editor has it, which may be incomplete or invalid (a draft).
/// Read leniently: a draft that no longer parses still opens, with what could be read.</summary>
public sealed record EditorDocument(string Id, string Title, IReadOnlyList<string> Paragraphs, IReadOnlyList<EditorImage> Images,
    string Presenter, string Voice, string Priority, int Width, int Height, int Fps, string Captions = "both",
    IReadOnlyList<EditorPronunciation>? Pronunciations = null, string Brand = "default", IReadOnlyList<EditorRendition>? Renditions = null)
{
    public IReadOnlyList<EditorPronunciation> Entries => Pronunciations ?? [];

    /// <summary>The story's named outputs (<c>outputs</c>); empty when it has the one <see cref="Width"/>×<see cref="Height"/>
    /// output, which the shape picker edits.</summary>
    public IReadOnlyList<EditorRendition> Outputs => Renditions ?? [];

    public static readonly EditorDocument Empty = new("", "", [""], [], "default", "default", "normal",
        StoryOutput.LocalDefault.Width, StoryOutput.LocalDefault.Height, StoryOutput.LocalDefault.Fps);

    /// <summary>Output shapes an editor picks by name; any other size a story already has stays selectable.</summary>
    public static readonly IReadOnlyList<(string Name, int Width, int Height)> Shapes =
        [("16:9 landscape", 1024, 576), ("9:16 portrait", 576, 1024), ("1:1 square", 720, 720), ("4:5 portrait", 720, 900)];

    /// <summary>The story's <c>captions</c> choices, as the editor offers them.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> CaptionChoices =
        [("both", "in the picture and as files"), ("burned", "in the picture only"), ("sidecar", "as files only (WebVTT, SRT)"), ("none", "none")];

    public static EditorDocument From(Story s) => new(s.Id, s.Title, s.Paragraphs.ToList(),
        s.Images.Select(i => new EditorImage(i.Uri, i.Caption ?? "", i.Paragraph)).ToList(), s.Presenter, s.Voice,
        s.Priority == StoryPriority.Breaking ? "breaking" : "normal", s.Output.Width, s.Output.Height, s.Output.Fps, s.Captions.ToJsonName(),
        (s.Pronunciations ?? new Dictionary<string, string>()).Select(p => new EditorPronunciation(p.Key, p.Value)).ToList(), s.Brand,
        s.Outputs.Select(r => new EditorRendition(r.Name, r.Output.Width, r.Output.Height, r.Output.Fps)).ToList());

    public static EditorDocument From(JsonElement e)
    {
        string Str(JsonElement o, string name, string fallback) =>
            o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
        int Int(JsonElement o, string name, int fallback) =>
            o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : fallback;
        var paragraphs = e.TryGetProperty("paragraphs", out var ps) && ps.ValueKind == JsonValueKind.Array
            ? ps.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString()! : "").ToList() : [""];
        var images = e.TryGetProperty("images", out var ims) && ims.ValueKind == JsonValueKind.Array
            ? ims.EnumerateArray().Select(i => new EditorImage(Str(i, "uri", ""), Str(i, "caption", ""), Int(i, "paragraph", 0))).ToList() : [];
        // A draft is whatever the editor (or a script) saved: any member may have any type, and none may break the page.
        var output = e.TryGetProperty("output", out var o) ? o : default;
        var d = Empty;
        return new EditorDocument(Str(e, "id", ""), Str(e, "title", ""), paragraphs.Count == 0 ? [""] : paragraphs, images,
            Str(e, "presenter", d.Presenter), Str(e, "voice", d.Voice), Str(e, "priority", d.Priority),
            Int(output, "width", d.Width), Int(output, "height", d.Height), Int(output, "fps", d.Fps), Str(e, "captions", d.Captions),
            e.TryGetProperty("pronunciations", out var pr) && pr.ValueKind == JsonValueKind.Object
                ? pr.EnumerateObject().Select(p => new EditorPronunciation(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "")).ToList() : [],
            Str(e, "brand", d.Brand),
            // A size the draft lacks (or holds as something other than a number) shows as an empty field, not a made-up one.
            e.TryGetProperty("outputs", out var outs) && outs.ValueKind == JsonValueKind.Array
                ? outs.EnumerateArray().Select(r => new EditorRendition(Str(r, "name", ""), Int(r, "width", 0), Int(r, "height", 0), Int(r, "fps", 0))).ToList() : []);
    }
}

public sealed record EditorImage(string Uri, string Caption, int Paragraph);

/// <summary>One row of the editor's renditions: a name and a size (<c>outputs[n]</c>); 0 stands for a value the draft lacks.</summary>
public sealed record EditorRendition(string Name, int Width, int Height, int Fps);

/// <summary>One row of the editor's pronunciation panel: a word and how to say it (CMU phones or a respelling).</summary>
public sealed record EditorPronunciation(string Word, string Pronunciation);
