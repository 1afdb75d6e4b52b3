using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NiusTv.Steps.Stories;

/// <summary>A validated story (format v1, ARCHITECTURE.md). Only <see cref="StoryParser"/> creates one from outside input.</summary>
public sealed record Story(
    string Id,
    string Title,
    IReadOnlyList<string> Paragraphs,
    IReadOnlyList<StoryImage> Images,
    string Presenter,
    string Voice,
    StoryPriority Priority,
    StoryOutput Output,
    StoryCaptions Captions = StoryCaptions.Both,
    IReadOnlyDictionary<string, string>? Pronunciations = null,
    string Brand = Brands.BrandPack.DefaultName,
    IReadOnlyList<StoryRendition>? Renditions = null)
{
    public const int SchemaVersion = 1;

    /// <summary>The named outputs the story asked for (<c>outputs</c>), in order; empty for a story with one
    /// <see cref="Output"/>, which publishes as it always did. With renditions, <see cref="Output"/> is the first
    /// one's.</summary>
    public IReadOnlyList<StoryRendition> Outputs => Renditions ?? [];

    /// <summary>Whether the story asked for named renditions (<c>outputs</c>) rather than one <c>output</c>.</summary>
    public bool HasRenditions => Outputs.Count > 0;

    /// <summary>The rendition named <paramref name="name"/>; null when the story has none by that name.</summary>
    public StoryRendition? Rendition(string name) => Outputs.FirstOrDefault(r => r.Name == name);

    /// <summary>Frames per second of the presenter's motion (the landmarks step): the story's fps, or the highest of
    /// its renditions', so that every rendition has a motion frame for each of its own frames.</summary>
    public int MotionFps => HasRenditions ? Outputs.Max(r => r.Output.Fps) : Output.Fps;

    /// <summary>Canonical JSON: fixed property order, defaults filled in. Equal stories give equal bytes,
    /// which is what makes a re-published story a no-op and changed content a new revision.</summary>
    public string ToCanonicalJson() => JsonSerializer.Serialize(
        new CanonicalStory(Id, Title, Paragraphs, Images.Select(i => new CanonicalImage(i.Uri, i.Caption, i.Paragraph)).ToList(),
            Presenter, Voice, Priority == StoryPriority.Breaking ? "breaking" : "normal",
            // A story with renditions has no single output; one without keeps its bytes (and hash).
            HasRenditions ? null : new CanonicalOutput(Output.Width, Output.Height, Output.Fps),
            // Written only when it differs from the default, so every story published before the field existed
            // keeps its canonical bytes (and hash): re-publishing it is still a no-op, not a new revision.
            Captions == StoryCaptions.Both ? null : Captions.ToJsonName(),
            // Absent when empty, so a story without pronunciations keeps the bytes (and hash) it always had.
            Pronunciations is { Count: > 0 } p ? new SortedDictionary<string, string>(p.ToDictionary(), StringComparer.Ordinal) : null,
            // Absent for the default look, so stories published before brand packs keep their bytes (and hash).
            Brand == Brands.BrandPack.DefaultName ? null : Brand,
            HasRenditions ? Outputs.Select(r => new CanonicalRendition(r.Name, r.Output.Width, r.Output.Height, r.Output.Fps)).ToList() : null),
        CanonicalJson.Options);

    /// <summary>The story as it was accepted, read back from <see cref="ToCanonicalJson"/> (a journaled <c>Accepted</c>)
    /// as plain data. Deliberately not <see cref="StoryParser"/>: its rules are for stories being published today, and
    /// tightening one (a shorter word limit, a voice removed) must never stop yesterday's journal from replaying.
    /// Fields an older canonical form lacks take the defaults the parser gave them then.</summary>
    public static Story FromCanonicalJson(string json)
    {
        var c = JsonSerializer.Deserialize<CanonicalStory>(json, CanonicalJson.Options)
            ?? throw new InvalidDataException("the journaled story is JSON null");
        var renditions = c.outputs is { Count: > 0 } rs
            ? rs.Select(r => new StoryRendition(r.name ?? "", new StoryOutput(r.width, r.height, r.fps))).ToList()
            : null;
        return new Story(c.id ?? "", c.title ?? "", c.paragraphs ?? [],
            (c.images ?? []).Select(i => new StoryImage(i.uri ?? "", i.caption, i.paragraph)).ToList(),
            c.presenter ?? "default", c.voice ?? "default",
            c.priority == "breaking" ? StoryPriority.Breaking : StoryPriority.Normal,
            c.output is { } o ? new StoryOutput(o.width, o.height, o.fps) : renditions?[0].Output ?? StoryOutput.LocalDefault,
            c.captions switch
            {
                "burned" => StoryCaptions.Burned,
                "sidecar" => StoryCaptions.Sidecar,
                "none" => StoryCaptions.None,
                _ => StoryCaptions.Both,
            },
            c.pronunciations is { Count: > 0 } p ? new Dictionary<string, string>(p, StringComparer.Ordinal) : null,
            c.brand ?? Brands.BrandPack.DefaultName,
            renditions);
    }

    /// <summary>The story's own pronunciations, checked (the parser accepted them).</summary>
    public Phonemes.PronunciationSet PronunciationSet() =>
        Pronunciations is { Count: > 0 } p ? Phonemes.PronunciationSet.Parse(p, "pronunciations").Set : Phonemes.PronunciationSet.Empty;

    /// <summary>SHA-256 (hex) of the canonical JSON.</summary>
    public string ContentHash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToCanonicalJson())));

    public int WordCount => Paragraphs.Sum(p => p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);

    private sealed record CanonicalStory(string id, string title, IReadOnlyList<string> paragraphs, IReadOnlyList<CanonicalImage> images,
        string presenter, string voice, string priority,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CanonicalOutput? output,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? captions,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? pronunciations,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? brand,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<CanonicalRendition>? outputs = null);
    private sealed record CanonicalImage(string uri, string? caption, int paragraph);
    private sealed record CanonicalOutput(int width, int height, int fps);
    private sealed record CanonicalRendition(string name, int width, int height, int fps);

    private static class CanonicalJson
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
    }
}

public sealed record StoryImage(string Uri, string? Caption, int Paragraph);

public enum StoryPriority { Normal, Breaking }

/// <summary>How the story's captions are delivered (<c>captions</c>): drawn into the picture, published as WebVTT/SRT
/// files (and word timings) beside the video, both (the default), or not at all.</summary>
public enum StoryCaptions { Both, Burned, Sidecar, None }

public static class StoryCaptionsExtensions
{
    public static string ToJsonName(this StoryCaptions c) => c switch
    {
        StoryCaptions.Burned => "burned",
        StoryCaptions.Sidecar => "sidecar",
        StoryCaptions.None => "none",
        _ => "both",
    };

    public static bool Burns(this StoryCaptions c) => c is StoryCaptions.Both or StoryCaptions.Burned;
    public static bool HasSidecar(this StoryCaptions c) => c is StoryCaptions.Both or StoryCaptions.Sidecar;
}

public sealed record StoryOutput(int Width, int Height, int Fps)
{
    public static readonly StoryOutput LocalDefault = new(1024, 512, 30);

    public override string ToString() => $"{Width}x{Height}@{Fps}";
}

/// <summary>One of the outputs a story asks for by name (<c>outputs[n]</c>): published as <c>videos/&lt;id&gt;-&lt;name&gt;.mp4</c>
/// with its own poster and caption files. Its render and compose steps run once per rendition.</summary>
public sealed record StoryRendition(string Name, StoryOutput Output);
