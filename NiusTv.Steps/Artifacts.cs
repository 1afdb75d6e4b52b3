namespace NiusTv.Steps;

/// <summary>The key of a file a step leaves for the steps after it. The key is the file's path relative to the story
/// revision's workspace (<c>speech.wav</c>, <c>images/00.jpg</c>, <c>brand/brand.json</c>), so a workspace artifact's
/// key and path are the same text. The <c>publish</c> step keeps the key of each file it publishes and records where it
/// went (an absolute path or URI) as its path. A key ending in <c>/</c> stands for every file under that folder
/// (<see cref="IsFolder"/>): a step declares it when it writes a number of files known only at run time.</summary>
public sealed record ArtifactKey
{
    public ArtifactKey(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\\') || name.StartsWith('/') || name.Contains("://", StringComparison.Ordinal)
            || name.Split('/').Any(part => part is "." or ".."))
            throw new ArgumentException($"'{name}' is not an artifact key: give a path relative to the workspace, with '/' between folders", nameof(name));
        Name = name;
    }

    /// <summary>The file's path relative to the workspace; also the key under which the journal and `story show`
    /// list it.</summary>
    public string Name { get; }

    /// <summary>This key names a folder: every file under it belongs to it.</summary>
    public bool IsFolder => Name.EndsWith('/');

    /// <summary>The file's key inside this folder key (<c>images/</c> + <c>00.jpg</c>).</summary>
    public ArtifactKey FileNamed(string relative) => IsFolder ? new(Name + relative)
        : throw new InvalidOperationException($"'{Name}' is a file, not a folder of artifacts");

    /// <summary>Whether an artifact named <paramref name="name"/> is this one, or lies in this folder.</summary>
    public bool Covers(string name) => IsFolder ? name.StartsWith(Name, StringComparison.Ordinal) && name.Length > Name.Length : name == Name;

    /// <summary>The file in <paramref name="workspace"/>.</summary>
    public string In(string workspace) => Path.Combine(workspace, Name);

    public override string ToString() => Name;

    public static implicit operator string(ArtifactKey key) => key.Name;
}

/// <summary>Every artifact the built-in steps write, by the key the journal records it under (its file name in the
/// workspace). Steps, tests and tools name artifacts through this catalogue; a new step declares its own keys beside
/// its code (<see cref="StepDefinition"/>).</summary>
public static class Artifacts
{
    // init
    /// <summary><c>images.json</c>: the story's images as copied and checked, in order.</summary>
    public static readonly ArtifactKey ImageManifest = new("images.json");
    /// <summary>The copied images themselves, <c>images/00.jpg</c>, <c>images/01.png</c>…</summary>
    public static readonly ArtifactKey ImageFiles = new("images/");
    /// <summary><c>brand/brand.json</c>: the story's brand pack manifest; absent for the default brand.</summary>
    public static readonly ArtifactKey BrandManifest = new("brand/brand.json");
    /// <summary>The brand pack's fonts, logo, music and clips, under <c>brand/</c> as the pack lays them out.</summary>
    public static readonly ArtifactKey BrandFiles = new("brand/");

    // speech
    /// <summary><c>speech.wav</c>: the story read aloud (16-bit PCM).</summary>
    public static readonly ArtifactKey Speech = new("speech.wav");
    /// <summary><c>timings.json</c>: paragraph, word and (from Festival) phone times of <see cref="Speech"/>.</summary>
    public static readonly ArtifactKey Timings = new("timings.json");
    /// <summary><c>pronunciations.json</c>: the editors' pronunciations the story was spoken with.</summary>
    public static readonly ArtifactKey Pronunciations = new("pronunciations.json");

    // phonemes, landmarks, render
    /// <summary><c>phones.json</c>: every word and phone of the speech with its time.</summary>
    public static readonly ArtifactKey Phones = new("phones.json");
    /// <summary><c>landmarks.json</c>: the presenter's 68 face points per output frame.</summary>
    public static readonly ArtifactKey Landmarks = new("landmarks.json");
    /// <summary><c>anchor.mkv</c>: the presenter's frames, encoded at the size of the layout's anchor slot.</summary>
    public static readonly ArtifactKey Anchor = new("anchor.mkv");

    // compose (publish records the same keys with their published locations)
    /// <summary><c>video.mp4</c>: the story's video (H.264 + AAC).</summary>
    public static readonly ArtifactKey Video = new("video.mp4");
    /// <summary><c>poster.jpg</c>: one frame that shows what the story looks like.</summary>
    public static readonly ArtifactKey Poster = new("poster.jpg");
    /// <summary><c>captions.vtt</c>, <c>captions.srt</c>, <c>words.json</c>: caption files beside the video, when the
    /// story's captions are <c>sidecar</c> or <c>both</c>.</summary>
    public static readonly ArtifactKey CaptionsVtt = new("captions.vtt");
    public static readonly ArtifactKey CaptionsSrt = new("captions.srt");
    public static readonly ArtifactKey CaptionWords = new("words.json");

    /// <summary>One copied image: <c>images/NN.EXT</c>.</summary>
    public static ArtifactKey Image(int index, string extension) => ImageFiles.FileNamed($"{index:D2}.{extension}");

    /// <summary>A file of the brand pack, by its path inside the pack.</summary>
    public static ArtifactKey BrandFile(string relative) => BrandFiles.FileNamed(relative);

    /// <summary>Where the artifacts of one rendition's steps live (<c>renditions/portrait/</c>): a story with several
    /// outputs renders and composes each in its own folder, so one rendition's results never replace another's.</summary>
    public static ArtifactKey RenditionFolder(string rendition) => new($"renditions/{rendition}/");

    /// <summary><paramref name="key"/> as rendition <paramref name="rendition"/> writes it (<c>renditions/portrait/video.mp4</c>);
    /// the key itself for a story with one output (null).</summary>
    public static ArtifactKey OfRendition(ArtifactKey key, string? rendition) =>
        rendition is null ? key : RenditionFolder(rendition).FileNamed(key.Name);

    /// <summary>The key a rendition's artifact has outside its rendition (<c>video.mp4</c> for
    /// <c>renditions/portrait/video.mp4</c>); any other key as it is.</summary>
    public static string WithoutRendition(string name) =>
        name.StartsWith("renditions/", StringComparison.Ordinal) && name.IndexOf('/', "renditions/".Length) is var slash and > 0
            ? name[(slash + 1)..] : name;

    /// <summary>Keys that journals written before this catalogue use (before, the phonemes, landmarks and render steps,
    /// the published video and poster, and brand files had names of their own). A story replayed from such a journal
    /// reads them as today's keys, so a revision that was in flight resumes where it was.</summary>
    public static string Current(string recorded) => recorded switch
    {
        "phones" => Phones.Name,
        "landmarks" => Landmarks.Name,
        "anchor" => Anchor.Name,
        "video" => Video.Name,
        "poster" => Poster.Name,
        "brand.json" => BrandManifest.Name,
        _ when recorded.StartsWith("brand:", StringComparison.Ordinal) => BrandFile(recorded["brand:".Length..]).Name,
        _ => recorded,
    };
}
