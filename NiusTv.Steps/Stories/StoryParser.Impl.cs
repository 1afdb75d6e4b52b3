using System.Text.Json;
using System.Text.RegularExpressions;

namespace NiusTv.Steps.Stories;

public static partial class StoryParser
{
    internal const int MaxTitleChars = 200;
    internal const int MaxImages = 50;
    internal const int MaxNameChars = 64;
    // Words bound what is spoken; characters bound what a 5,000-word limit cannot (one endless "word").
    internal const int MaxParagraphChars = 100_000;
    // Bounds that keep a story's speech time proportional to its length: Festival spent 2,010 s on one 99,000-letter
    // "word", and a timeout was retried as transient. News text has no word over ~30 letters nor sentence over a
    // few hundred characters; the limits leave room for URLs and long quotes.
    internal const int MaxWordChars = 64;
    internal const int MaxSentenceChars = 1_000;
    internal const int MaxCharsPerParagraph = 10_000;
    // A hostile document (a million blank paragraphs) must not turn into a million-line reply.
    internal const int MaxErrors = 100;

    private static readonly string[] TopLevel = ["id", "title", "paragraphs", "images", "presenter", "voice", "priority", "output", "captions", "pronunciations", "brand", "outputs"];
    private static readonly string[] ImageProps = ["uri", "caption", "paragraph"];
    private static readonly string[] OutputProps = ["width", "height", "fps"];
    private static readonly string[] RenditionProps = ["name", "width", "height", "fps"];
    // Each rendition renders and composes the whole story once more.
    internal const int MaxRenditions = 8;
    internal const int MaxRenditionNameChars = 32;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    private static StoryParseResult ParseCore(string json)
    {
        // Windows editors save UTF-8 with a byte-order mark; the byte overload decodes it into a leading U+FEFF
        // that JSON itself does not allow, and rejecting a story for an invisible character helps nobody.
        if (json.StartsWith('\uFEFF')) json = json[1..];
        if (string.IsNullOrWhiteSpace(json))
            return Fail(new StoryError("", "the story is empty; expected a JSON object"));

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return Fail(new StoryError("", DescribeJsonError(ex)));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Fail(new StoryError("", $"the story must be a JSON object, not {KindName(root.ValueKind)}"));
            try { return new Reader().Read(root); }
            // String values are read through ReadString, which names the field; a property name is the one place
            // left where a lone surrogate escape can still surface.
            catch (InvalidOperationException ex)
            {
                return Fail(new StoryError("", $"the story holds text that is not valid Unicode (a lone surrogate escape such as \\ud800): {ex.Message}"));
            }
        }
    }

    private static StoryParseResult Fail(StoryError error) => new(null, [error]);

    private static string DescribeJsonError(JsonException ex)
    {
        // The framework message repeats the position in its own wording; keep only the reason and give the
        // position 1-based, as editors show it.
        var reason = ex.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut].TrimEnd();
        var where = ex.LineNumber is { } line && ex.BytePositionInLine is { } col
            ? $" at line {line + 1}, byte {col + 1}"
            : "";
        return $"the story is not valid JSON{where}: {reason}";
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    [GeneratedRegex(@"^[a-z0-9-]{1,64}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"(?<=[.!?…])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^[a-z0-9-]{1,32}\z")]
    private static partial Regex RenditionNamePattern();

    /// <summary>Whether <paramref name="name"/> can name a rendition (<c>outputs[n].name</c>): 1–32 of a-z, 0-9 and '-'.</summary>
    public static bool IsRenditionName(string name) => RenditionNamePattern().IsMatch(name);

    /// <summary>Whether <paramref name="id"/> is a story id (lowercase letters, digits and '-', 1–64 chars).</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex(@"^[a-z0-9_:.-]{1,64}\z")]
    private static partial Regex NamePattern();

    /// <summary>One pass over one document, collecting every error instead of stopping at the first.</summary>
    private sealed class Reader
    {
        private readonly List<StoryError> _errors = [];
        private int _dropped;

        private void Error(string field, string message)
        {
            if (_errors.Count < MaxErrors) _errors.Add(new StoryError(field, message));
            else _dropped++;
        }

        public StoryParseResult Read(JsonElement root)
        {
            var props = Properties(root, "", TopLevel);

            var id = props.TryGetValue("id", out var idEl) ? ReadId(idEl) : Missing<string>("id", "a string such as \"city-budget-2027\"");
            var title = props.TryGetValue("title", out var titleEl) ? ReadTitle(titleEl) : Missing<string>("title", "a non-empty string");
            int? paragraphCount = null;
            var paragraphs = props.TryGetValue("paragraphs", out var parEl) ? ReadParagraphs(parEl, out paragraphCount)
                : Missing<List<string>>("paragraphs", "a non-empty array of strings");
            var images = props.TryGetValue("images", out var imgEl) ? ReadImages(imgEl, paragraphCount) : [];
            var presenter = props.TryGetValue("presenter", out var presEl) ? ReadName(presEl, "presenter") : "default";
            var voice = props.TryGetValue("voice", out var voiceEl) ? ReadName(voiceEl, "voice") : "default";
            var priority = props.TryGetValue("priority", out var prioEl) ? ReadPriority(prioEl) : StoryPriority.Normal;
            var output = props.TryGetValue("output", out var outEl) ? ReadOutput(outEl) : StoryOutput.LocalDefault;
            var captions = props.TryGetValue("captions", out var capEl) ? ReadCaptions(capEl) : StoryCaptions.Both;
            var pronunciations = props.TryGetValue("pronunciations", out var pronEl) ? ReadPronunciations(pronEl) : null;
            var brand = props.TryGetValue("brand", out var brandEl) ? ReadBrand(brandEl) : Brands.BrandPack.DefaultName;
            List<StoryRendition>? renditions = null;
            if (props.TryGetValue("outputs", out var outsEl))
            {
                if (props.ContainsKey("output"))
                    Error("outputs", "cannot be given together with output: give one output, or several named outputs, not both");
                else
                {
                    renditions = ReadRenditions(outsEl);
                    if (renditions is { Count: > 0 }) output = renditions[0].Output;
                }
            }

            if (_dropped > 0)
                _errors.Add(new StoryError("", $"{_dropped} more error(s) not listed; fix the ones above first"));
            if (_errors.Count > 0) return new StoryParseResult(null, _errors);

            return new StoryParseResult(
                new Story(Id: id!, Title: title!, Paragraphs: paragraphs!, Images: images!, Presenter: presenter!, Voice: voice!,
                    Priority: priority, Output: output!, Captions: captions, Pronunciations: pronunciations, Brand: brand!,
                    Renditions: renditions), []);
        }

        private T? Missing<T>(string field, string expected) where T : class
        {
            Error(field, $"is required ({expected})");
            return null;
        }

        /// <summary>The properties of an object, reporting unknown and repeated ones. A repeated property
        /// would let two readers of the same document see different stories, so it is an error, not "last wins".</summary>
        private Dictionary<string, JsonElement> Properties(JsonElement obj, string prefix, string[] known)
        {
            var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                var path = Join(prefix, p.Name);
                if (!known.Contains(p.Name, StringComparer.Ordinal))
                    Error(path, $"unknown property '{p.Name}' (allowed here: {string.Join(", ", known)})");
                else if (!result.TryAdd(p.Name, p.Value))
                    Error(path, "appears more than once");
            }
            return result;
        }

        private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

        private bool Expect(JsonElement el, JsonValueKind kind, string field, string expected)
        {
            if (el.ValueKind == kind) return true;
            Error(field, $"must be {expected}, not {KindName(el.ValueKind)}");
            return false;
        }

        /// <summary>The string's value, or null with an error naming the field when its escapes do not make valid
        /// Unicode (a lone surrogate such as \ud800, which no text can hold).</summary>
        private string? ReadString(JsonElement el, string field)
        {
            try { return el.GetString()!; }
            catch (InvalidOperationException)
            {
                Error(field, "is not valid Unicode text: it holds a lone surrogate escape (such as \\ud800) without its pair");
                return null;
            }
        }

        private string? ReadId(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.String, "id", "a string")) return null;
            if (ReadString(el, "id") is not { } id) return null;
            if (id.Length == 0) Error("id", "must not be empty");
            else if (id.Length > MaxNameChars) Error("id", $"is {id.Length} characters long; the limit is {MaxNameChars}");
            else if (!IdPattern().IsMatch(id))
                Error("id", $"'{Shorten(id)}' may only contain lowercase letters a-z, digits and '-'");
            else return id;
            return null;
        }

        private string? ReadTitle(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.String, "title", "a string")) return null;
            if (ReadString(el, "title") is not { } raw) return null;
            var title = raw.Trim();
            if (title.Length == 0) Error("title", "must not be empty or blank");
            else if (title.Length > MaxTitleChars) Error("title", $"is {title.Length} characters long; the limit is {MaxTitleChars}");
            // A title is shown on one line (lower third, listings); a line break or control character there is a paste accident.
            else if (title.Any(char.IsControl)) Error("title", "must be a single line without control characters");
            else return title;
            return null;
        }

        /// <param name="count">How many entries the array has, good or bad: image indexes are checked against it
        /// even when a paragraph is broken, so that all the errors come out in one go.</param>
        private List<string>? ReadParagraphs(JsonElement el, out int? count)
        {
            count = null;
            if (!Expect(el, JsonValueKind.Array, "paragraphs", "an array of strings")) return null;
            var result = new List<string>();
            var ok = true;
            var index = 0;
            foreach (var item in el.EnumerateArray())
            {
                var field = $"paragraphs[{index++}]";
                if (!Expect(item, JsonValueKind.String, field, "a string")) { ok = false; continue; }
                if (ReadString(item, field) is not { } raw) { ok = false; continue; }
                var text = raw.Trim();
                if (text.Length == 0) { Error(field, "must not be empty or blank"); ok = false; continue; }
                if (ControlCharacterProblem(text) is { } control) { Error(field, control); ok = false; continue; }
                if (SpeakableProblem(text) is { } speakable) { Error(field, speakable); ok = false; continue; }
                result.Add(text);
            }
            if (index > 0) count = index;
            if (index == 0) { Error("paragraphs", "must contain at least one paragraph"); return null; }

            var chars = result.Sum(p => p.Length);
            if (chars > MaxParagraphChars)
            {
                Error("paragraphs", $"hold {chars} characters; the limit is {MaxParagraphChars}");
                ok = false;
            }
            var words = result.Sum(p => p.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
            if (words > MaxWords)
            {
                Error("paragraphs", $"hold {words} words; the limit is {MaxWords}");
                ok = false;
            }
            return ok ? result : null;
        }

        private List<StoryImage>? ReadImages(JsonElement el, int? paragraphCount)
        {
            if (!Expect(el, JsonValueKind.Array, "images", "an array of objects")) return null;
            var count = el.GetArrayLength();
            if (count > MaxImages) Error("images", $"has {count} images; the limit is {MaxImages}");
            var result = new List<StoryImage>();
            var index = 0;
            foreach (var item in el.EnumerateArray())
            {
                var field = $"images[{index++}]";
                if (!Expect(item, JsonValueKind.Object, field, "an object {\"uri\": …, \"caption\": …, \"paragraph\": …}")) continue;
                var props = Properties(item, field, ImageProps);

                string? uri = null;
                if (!props.TryGetValue("uri", out var uriEl)) Error($"{field}.uri", "is required (a path relative to the asset root, or gs://bucket/path)");
                else if (Expect(uriEl, JsonValueKind.String, $"{field}.uri", "a string") && ReadString(uriEl, $"{field}.uri") is { } value)
                {
                    if (AssetUri.Problem(value) is { } problem) Error($"{field}.uri", $"'{Shorten(value)}' {problem}");
                    else uri = value;
                }

                string? caption = null;
                var captionOk = true;
                if (props.TryGetValue("caption", out var capEl) && capEl.ValueKind != JsonValueKind.Null)
                {
                    if (capEl.ValueKind != JsonValueKind.String)
                    {
                        Error($"{field}.caption", $"must be a string or null, not {KindName(capEl.ValueKind)}");
                        captionOk = false;
                    }
                    else if (ReadString(capEl, $"{field}.caption") is not { } rawCaption) captionOk = false;
                    else
                    {
                        // Blank and absent captions mean the same thing; one spelling keeps the canonical form unique.
                        caption = rawCaption.Trim();
                        if (caption.Length == 0) caption = null;
                        else if (ControlCharacterProblem(caption) is { } control)
                        {
                            Error($"{field}.caption", control);
                            captionOk = false;
                        }
                        else if (caption.Length > MaxTitleChars)
                        {
                            Error($"{field}.caption", $"is {caption.Length} characters long; the limit is {MaxTitleChars}");
                            captionOk = false;
                        }
                    }
                }

                var paragraph = 0;
                var paragraphOk = true;
                if (props.TryGetValue("paragraph", out var parEl))
                {
                    var read = ReadInt(parEl, $"{field}.paragraph");
                    if (read is null) paragraphOk = false;
                    else if (read < 0) { Error($"{field}.paragraph", $"is {read}; paragraph indexes start at 0"); paragraphOk = false; }
                    else if (paragraphCount is { } n && read >= n)
                    {
                        Error($"{field}.paragraph", $"is {read}, but the story has {n} paragraph(s) (indexes 0–{n - 1})");
                        paragraphOk = false;
                    }
                    else paragraph = read.Value;
                }

                if (uri is not null && captionOk && paragraphOk) result.Add(new StoryImage(uri, caption, paragraph));
            }
            return result;
        }

        private string? ReadName(JsonElement el, string field)
        {
            if (!Expect(el, JsonValueKind.String, field, "a string")) return null;
            if (ReadString(el, field) is not { } name) return null;
            if (NamePattern().IsMatch(name)) return name;
            Error(field, $"'{Shorten(name)}' must be 1–{MaxNameChars} characters of a-z, 0-9, '-', '_', ':' and '.'");
            return null;
        }

        /// <summary>A brand pack's name: it becomes a folder in the asset store (brands/NAME/), so no '/', ':' or '.'
        /// that could make it another path.</summary>
        private string? ReadBrand(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.String, "brand", "a string (the name of a pack in the asset store's brands/ folder)")) return null;
            if (ReadString(el, "brand") is not { } name) return null;
            if (name.Length is >= 1 and <= MaxNameChars && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')) return name;
            Error("brand", $"'{Shorten(name)}' must be 1–{MaxNameChars} characters of a-z, 0-9, '-' and '_' (the pack's folder under brands/)");
            return null;
        }

        /// <summary>word → CMU phones ("R UW IY S") or a respelling ("roo-EES"); each bad entry names the word and the bad
        /// phone or letters. Null (no entries) for an empty object.</summary>
        private IReadOnlyDictionary<string, string>? ReadPronunciations(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.Object, "pronunciations", "an object of word → pronunciation, e.g. {\"Ruiz\": \"R UW IY S\"}")) return null;
            var pairs = new List<KeyValuePair<string, string>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in el.EnumerateObject())
            {
                var field = $"pronunciations.{p.Name}";
                if (!seen.Add(p.Name)) { Error(field, "appears more than once"); continue; }
                if (!Expect(p.Value, JsonValueKind.String, field, "a string of CMU phones (\"R UW IY S\") or a respelling (\"roo-EES\")")) continue;
                if (ReadString(p.Value, field) is not { } spelling) continue;
                pairs.Add(new(p.Name, spelling));
            }
            var (set, errors) = Phonemes.PronunciationSet.Parse(pairs, "pronunciations");
            foreach (var e in errors) Error(e.Field, e.Message);
            if (errors.Count > 0 || set.Count == 0) return null;
            return set.Entries.ToDictionary(e => e.Word, e => e.Spelling, StringComparer.Ordinal);
        }

        private StoryPriority ReadPriority(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.String, "priority", "a string (\"normal\" or \"breaking\")")) return default;
            if (ReadString(el, "priority") is not { } priority) return default;
            switch (priority)
            {
                case "normal": return StoryPriority.Normal;
                case "breaking": return StoryPriority.Breaking;
                default:
                    Error("priority", $"'{Shorten(priority)}' is not a priority; use \"normal\" or \"breaking\"");
                    return default;
            }
        }

        private StoryCaptions ReadCaptions(JsonElement el)
        {
            const string choices = "\"burned\", \"sidecar\", \"both\" or \"none\"";
            if (!Expect(el, JsonValueKind.String, "captions", $"a string ({choices})")) return default;
            if (ReadString(el, "captions") is not { } value) return default;
            switch (value)
            {
                case "both": return StoryCaptions.Both;
                case "burned": return StoryCaptions.Burned;
                case "sidecar": return StoryCaptions.Sidecar;
                case "none": return StoryCaptions.None;
                default:
                    Error("captions", $"'{Shorten(value)}' is not a way to deliver captions; use {choices}");
                    return default;
            }
        }

        private StoryOutput? ReadOutput(JsonElement el)
        {
            if (!Expect(el, JsonValueKind.Object, "output", "an object {\"width\": …, \"height\": …, \"fps\": …}")) return null;
            var props = Properties(el, "output", OutputProps);
            return ReadSize(props, "output", sizeRequired: false);
        }

        /// <summary>Width, height and fps of <c>output</c> or of one rendition, with the same limits; a missing one takes
        /// <see cref="StoryOutput.LocalDefault"/>'s, except a rendition's size, which it must name.</summary>
        private StoryOutput? ReadSize(IReadOnlyDictionary<string, JsonElement> props, string field, bool sizeRequired)
        {
            var d = StoryOutput.LocalDefault;
            int? Side(string name, int min, int max, int fallback)
            {
                if (props.TryGetValue(name, out var el)) return ReadSide(el, $"{field}.{name}", min, max);
                if (!sizeRequired) return fallback;
                Error($"{field}.{name}", $"is required (an even number of pixels between {min} and {max})");
                return null;
            }
            var width = Side("width", MinWidth, MaxWidth, d.Width);
            var height = Side("height", MinHeight, MaxHeight, d.Height);
            int? fps = d.Fps;
            if (props.TryGetValue("fps", out var f))
            {
                fps = ReadInt(f, $"{field}.fps");
                if (fps is < 1 or > 60) { Error($"{field}.fps", $"is {fps}; it must be between 1 and 60"); fps = null; }
            }
            return width is { } ww && height is { } hh && fps is { } ff ? new StoryOutput(ww, hh, ff) : null;
        }

        /// <summary><c>outputs</c>: named renditions, each a slug unique within the story and a size like <c>output</c>'s.</summary>
        private List<StoryRendition>? ReadRenditions(JsonElement el)
        {
            const string shape = "an array of objects {\"name\": …, \"width\": …, \"height\": …, \"fps\": …}";
            if (!Expect(el, JsonValueKind.Array, "outputs", shape)) return null;
            var count = el.GetArrayLength();
            if (count == 0) { Error("outputs", $"must name at least one output ({shape}); leave it out for the single default output"); return null; }
            if (count > MaxRenditions) { Error("outputs", $"has {count} outputs; the limit is {MaxRenditions}"); return null; }
            var result = new List<StoryRendition>();
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var ok = true;
            var index = 0;
            foreach (var item in el.EnumerateArray())
            {
                var field = $"outputs[{index}]";
                index++;
                if (!Expect(item, JsonValueKind.Object, field, "an object {\"name\": …, \"width\": …, \"height\": …, \"fps\": …}")) { ok = false; continue; }
                var props = Properties(item, field, RenditionProps);
                string? name = null;
                if (!props.TryGetValue("name", out var nameEl))
                    Error($"{field}.name", $"is required (a short name such as \"landscape\" or \"portrait\": 1–{MaxRenditionNameChars} characters of a-z, 0-9 and '-')");
                else if (Expect(nameEl, JsonValueKind.String, $"{field}.name", "a string") && ReadString(nameEl, $"{field}.name") is { } raw)
                {
                    if (!IsRenditionName(raw))
                        Error($"{field}.name", $"'{Shorten(raw)}' must be 1–{MaxRenditionNameChars} characters of a-z, 0-9 and '-' (it becomes part of the file name <id>-<name>.mp4)");
                    else if (names.TryGetValue(raw, out var first))
                        Error($"{field}.name", $"'{raw}' is already the name of outputs[{first}]; each output needs its own name");
                    else
                    {
                        names[raw] = index - 1;
                        name = raw;
                    }
                }
                var size = ReadSize(props, field, sizeRequired: true);
                if (name is not null && size is not null) result.Add(new StoryRendition(name, size));
                else ok = false;
            }
            return ok ? result : null;
        }

        private int? ReadSide(JsonElement el, string field, int min, int max)
        {
            var value = ReadInt(el, field);
            if (value is null) return null;
            if (value < min || value > max) Error(field, $"is {value}; it must be between {min} and {max}");
            // Video encoders (yuv420p) need both sides even.
            else if (value % 2 != 0) Error(field, $"is {value}; it must be an even number");
            else return value;
            return null;
        }

        private int? ReadInt(JsonElement el, string field)
        {
            if (!Expect(el, JsonValueKind.Number, field, "an integer")) return null;
            if (el.TryGetInt32(out var value)) return value;
            var raw = el.GetRawText();
            Error(field, raw.IndexOfAny(['.', 'e', 'E']) >= 0
                ? $"must be an integer, not {raw}"
                : $"{raw} is out of range");
            return null;
        }
    }

    /// <summary>The first bound a paragraph breaks, as a sentence naming the word or sentence; null when none. Also asked
    /// by the speech step when a voice overruns its time, about text that was accepted before these bounds existed.</summary>
    internal static string? SpeakableProblem(string text)
    {
        if (text.Length > MaxCharsPerParagraph)
            return $"is {text.Length} characters long; the limit is {MaxCharsPerParagraph} per paragraph: split it into several paragraphs";
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            var word = words[i].Trim(WordPunctuation); // "(hello)," is a five-letter word
            if (word.Length > MaxWordChars)
                return $"word {i + 1} ('{Shorten(word, 24)}') is {word.Length} characters long; the limit is {MaxWordChars}";
        }
        var sentences = SentenceEnd().Split(text);
        for (var i = 0; i < sentences.Length; i++)
            if (sentences[i].Length > MaxSentenceChars)
                return $"sentence {i + 1} ('{Shorten(sentences[i], 40)}') is {sentences[i].Length} characters long; the limit is {MaxSentenceChars}: break it up";
        return null;
    }

    private static readonly char[] WordPunctuation = ".,;:!?\"'()[]{}…–—-«»“”‘’".ToCharArray();

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "…";
}
