using System.Text.Json.Nodes;
using NiusTv.Steps.Stories;
using Xunit;

namespace NiusTv.Tests.Stories;

public class StoryParserTests
{
    private const string Full = """
        {
          "id": "city-budget-2027",
          "title": "City approves 2027 budget",
          "paragraphs": ["The council approved the budget on Tuesday.", "Libraries get longer opening hours."],
          "images": [
            { "uri": "images/city-hall.jpg", "caption": "City hall", "paragraph": 0 },
            { "uri": "gs://nius-assets/library/reading-room.webp", "caption": null, "paragraph": 1 },
            { "uri": "images/budget.png" }
          ],
          "presenter": "anna-2",
          "voice": "kal_diphone:en.v2",
          "priority": "breaking",
          "output": { "width": 2048, "height": 1024, "fps": 60 }
        }
        """;

    private const string Minimal = """{"id":"a","title":"T","paragraphs":["One two three."]}""";

    /// <summary>The full story with one change, so each bad case differs from a good document in exactly one place.</summary>
    private static string With(Action<JsonObject> change)
    {
        var doc = JsonNode.Parse(Full)!.AsObject();
        change(doc);
        return doc.ToJsonString();
    }

    private static JsonObject Image(JsonObject doc, int i) => doc["images"]![i]!.AsObject();

    /// <summary>A paragraph of <paramref name="words"/> copies of <paramref name="word"/> in ten-word sentences, as
    /// prose comes (the per-sentence and per-paragraph bounds apply as well as the story's word count).</summary>
    private static string Prose(int words, string word = "word") =>
        string.Join(' ', Enumerable.Range(0, (words + 9) / 10).Select(i =>
            string.Join(' ', Enumerable.Repeat(word, Math.Min(10, words - i * 10))) + "."));

    private static JsonArray Paragraphs(params string[] paragraphs) => new(paragraphs.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
    private static JsonObject Output(JsonObject doc) => doc["output"]!.AsObject();

    [Fact]
    public void Full_story_is_read_with_every_field()
    {
        var result = StoryParser.Parse(Full);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var s = result.Story!;
        Assert.Equal("city-budget-2027", s.Id);
        Assert.Equal("City approves 2027 budget", s.Title);
        Assert.Equal(2, s.Paragraphs.Count);
        Assert.Equal(3, s.Images.Count);
        Assert.Equal(new StoryImage("images/city-hall.jpg", "City hall", 0), s.Images[0]);
        Assert.Equal(new StoryImage("gs://nius-assets/library/reading-room.webp", null, 1), s.Images[1]);
        Assert.Equal(new StoryImage("images/budget.png", null, 0), s.Images[2]);
        Assert.Equal("anna-2", s.Presenter);
        Assert.Equal("kal_diphone:en.v2", s.Voice);
        Assert.Equal(StoryPriority.Breaking, s.Priority);
        Assert.Equal(new StoryOutput(2048, 1024, 60), s.Output);
    }

    [Fact]
    public void Minimal_story_gets_the_defaults()
    {
        var result = StoryParser.Parse(Minimal);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        var s = result.Story!;
        Assert.Empty(s.Images);
        Assert.Equal("default", s.Presenter);
        Assert.Equal("default", s.Voice);
        Assert.Equal(StoryPriority.Normal, s.Priority);
        Assert.Equal(StoryOutput.LocalDefault, s.Output);
        Assert.Equal(3, s.WordCount);
    }

    [Fact]
    public void Partial_output_takes_the_missing_values_from_the_local_default()
    {
        var s = StoryParser.Parse(With(d => d["output"] = new JsonObject { ["fps"] = 25 })).Story!;
        Assert.Equal(new StoryOutput(1024, 512, 25), s.Output);
    }

    [Fact]
    public void Utf8_bytes_parse_like_the_string()
    {
        var fromBytes = StoryParser.Parse(System.Text.Encoding.UTF8.GetBytes(Full));
        Assert.Equal(StoryParser.Parse(Full).Story!.ContentHash(), fromBytes.Story!.ContentHash());
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_ignored()
    {
        var bytes = System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(Minimal)).ToArray();
        Assert.True(StoryParser.Parse(bytes).IsValid);
        Assert.True(StoryParser.Parse("\uFEFF" + Minimal).IsValid);
    }

    [Fact]
    public void Equivalent_documents_have_the_same_canonical_form_and_hash()
    {
        const string reordered = """
            {"output":{"fps":30,"height":512,"width":1024},   "priority":"normal",
             "paragraphs" : [ "One two three." ],
             "voice":"default","title":"T","presenter":"default","images":[],"id":"a"}
            """;
        var a = StoryParser.Parse(Minimal).Story!;
        var b = StoryParser.Parse(reordered).Story!;

        Assert.Equal(a.ToCanonicalJson(), b.ToCanonicalJson());
        Assert.Equal(a.ContentHash(), b.ContentHash());
        Assert.Equal(64, a.ContentHash().Length);
    }

    [Fact]
    public void Changing_a_paragraph_changes_the_hash()
    {
        var a = StoryParser.Parse(Full).Story!;
        var b = StoryParser.Parse(With(d => d["paragraphs"]![1] = "Libraries get shorter opening hours.")).Story!;
        Assert.NotEqual(a.ContentHash(), b.ContentHash());
    }

    [Theory]
    [InlineData("gs://nius-assets/a/b.jpg")]
    [InlineData("images/2027/city hall.jpg")]
    [InlineData("photo.webp")]
    [InlineData("images/a:b.jpg")]
    public void Acceptable_uris(string uri)
    {
        var result = StoryParser.Parse(With(d => Image(d, 0)["uri"] = uri));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void Limits_themselves_are_allowed()
    {
        var result = StoryParser.Parse(With(d =>
        {
            d["id"] = new string('a', 64);
            d["paragraphs"] = Paragraphs([.. Enumerable.Repeat(Prose(StoryParser.MaxWords / 5), 5)]);
            d["images"] = new JsonArray();
            d["output"] = new JsonObject { ["width"] = 3840, ["height"] = 2160, ["fps"] = 1 };
        }));
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(StoryParser.MaxWords, result.Story!.WordCount);

        var smallest = StoryParser.Parse(With(d => d["output"] = new JsonObject { ["width"] = 160, ["height"] = 90, ["fps"] = 60 }));
        Assert.True(smallest.IsValid, string.Join("; ", smallest.Errors));
    }

    public static TheoryData<string, string, string> BadStories() => new()
    {
        // Not JSON, or not an object.
        { "malformed", """{"id": , "title": "x"}""", "" },
        { "truncated", Full[..(Full.Length / 2)], "" },
        { "empty body", "", "" },
        { "blank body", "  \n ", "" },
        { "trailing garbage", Minimal + " {}", "" },
        { "array root", "[" + Minimal + "]", "" },
        { "string root", "\"story\"", "" },

        // Required fields.
        { "missing id", With(d => d.Remove("id")), "id" },
        { "missing title", With(d => d.Remove("title")), "title" },
        { "missing paragraphs", With(d => d.Remove("paragraphs")), "paragraphs" },
        { "missing uri", With(d => Image(d, 0).Remove("uri")), "images[0].uri" },

        // Wrong JSON types.
        { "id number", With(d => d["id"] = 42), "id" },
        { "id null", With(d => d["id"] = null), "id" },
        { "title bool", With(d => d["title"] = true), "title" },
        { "paragraphs string", With(d => d["paragraphs"] = "One paragraph."), "paragraphs" },
        { "paragraph number", With(d => d["paragraphs"]![1] = 7), "paragraphs[1]" },
        { "images object", With(d => d["images"] = new JsonObject()), "images" },
        { "image string", With(d => d["images"]![1] = "images/a.jpg"), "images[1]" },
        { "uri number", With(d => Image(d, 0)["uri"] = 1), "images[0].uri" },
        { "caption number", With(d => Image(d, 0)["caption"] = 3), "images[0].caption" },
        { "image paragraph string", With(d => Image(d, 1)["paragraph"] = "1"), "images[1].paragraph" },
        { "image paragraph fraction", With(d => Image(d, 1)["paragraph"] = 0.5), "images[1].paragraph" },
        { "presenter number", With(d => d["presenter"] = 1), "presenter" },
        { "voice array", With(d => d["voice"] = new JsonArray()), "voice" },
        { "priority number", With(d => d["priority"] = 1), "priority" },
        { "output array", With(d => d["output"] = new JsonArray()), "output" },
        { "width string", With(d => Output(d)["width"] = "1024"), "output.width" },
        { "width fraction", With(d => Output(d)["width"] = 1024.5), "output.width" },
        { "fps fraction", With(d => Output(d)["fps"] = 1.5), "output.fps" },
        { "fps huge", With(d => Output(d)["fps"] = 1e20), "output.fps" },
        { "height too large for int", With(d => Output(d)["height"] = 9_999_999_999L), "output.height" },

        // id.
        { "id uppercase", With(d => d["id"] = "City-Budget"), "id" },
        { "id underscore", With(d => d["id"] = "city_budget"), "id" },
        { "id 65 chars", With(d => d["id"] = new string('a', 65)), "id" },
        { "id empty", With(d => d["id"] = ""), "id" },
        { "id with space", With(d => d["id"] = "city budget"), "id" },
        // A regex '$' also matches before a final newline: "a\n" would become a workspace folder with a newline.
        { "id with trailing newline", With(d => d["id"] = "city-budget\n"), "id" },
        { "presenter with trailing newline", With(d => d["presenter"] = "anna-2\n"), "presenter" },
        { "gs bucket with trailing newline", With(d => Image(d, 1)["uri"] = "gs://nius-assets\n/a.jpg"), "images[1].uri" },

        // title.
        { "title blank", With(d => d["title"] = "   "), "title" },
        { "title too long", With(d => d["title"] = new string('t', 201)), "title" },
        { "title with newline", With(d => d["title"] = "City\napproves"), "title" },

        // uri.
        { "uri absolute", With(d => Image(d, 0)["uri"] = "/etc/passwd"), "images[0].uri" },
        { "uri drive", With(d => Image(d, 0)["uri"] = "C:\\photos\\a.jpg"), "images[0].uri" },
        { "uri drive forward", With(d => Image(d, 0)["uri"] = "C:/photos/a.jpg"), "images[0].uri" },
        { "uri unc", With(d => Image(d, 0)["uri"] = "\\\\server\\share\\a.jpg"), "images[0].uri" },
        { "uri dotdot", With(d => Image(d, 0)["uri"] = "images/../../secret.jpg"), "images[0].uri" },
        { "uri only dotdot", With(d => Image(d, 0)["uri"] = ".."), "images[0].uri" },
        { "uri dot", With(d => Image(d, 0)["uri"] = "./images/a.jpg"), "images[0].uri" },
        { "uri http", With(d => Image(d, 0)["uri"] = "http://example.com/a.jpg"), "images[0].uri" },
        { "uri https", With(d => Image(d, 0)["uri"] = "https://example.com/a.jpg"), "images[0].uri" },
        { "uri file", With(d => Image(d, 0)["uri"] = "file:///etc/passwd"), "images[0].uri" },
        { "uri data", With(d => Image(d, 0)["uri"] = "data:image/png;base64,AAAA"), "images[0].uri" },
        { "uri backslash", With(d => Image(d, 0)["uri"] = "images\\a.jpg"), "images[0].uri" },
        { "uri empty segment", With(d => Image(d, 0)["uri"] = "images//a.jpg"), "images[0].uri" },
        { "uri trailing slash", With(d => Image(d, 0)["uri"] = "images/"), "images[0].uri" },
        { "uri empty", With(d => Image(d, 0)["uri"] = ""), "images[0].uri" },
        { "uri control char", With(d => Image(d, 0)["uri"] = "images/a\u0000.jpg"), "images[0].uri" },
        { "gs without object", With(d => Image(d, 1)["uri"] = "gs://nius-assets"), "images[1].uri" },
        { "gs bad bucket", With(d => Image(d, 1)["uri"] = "gs://Bad_Bucket!/a.jpg"), "images[1].uri" },
        { "gs dotdot", With(d => Image(d, 1)["uri"] = "gs://nius-assets/a/../../b.jpg"), "images[1].uri" },

        // Image paragraph index.
        { "image paragraph out of range", With(d => Image(d, 1)["paragraph"] = 2), "images[1].paragraph" },
        { "image paragraph negative", With(d => Image(d, 1)["paragraph"] = -1), "images[1].paragraph" },

        // Paragraph content and size.
        { "empty paragraphs", With(d => d["paragraphs"] = new JsonArray()), "paragraphs" },
        { "blank paragraph", With(d => d["paragraphs"]![0] = " \t "), "paragraphs[0]" },
        { "empty paragraph", With(d => d["paragraphs"]![1] = ""), "paragraphs[1]" },
        { "5001 words", With(d => d["paragraphs"] = Paragraphs([.. Enumerable.Repeat(Prose(1000), 5), "Over."])), "paragraphs" },

        // Names and priority.
        { "unknown priority", With(d => d["priority"] = "urgent"), "priority" },
        { "priority wrong case", With(d => d["priority"] = "Breaking"), "priority" },
        { "presenter uppercase", With(d => d["presenter"] = "Anna"), "presenter" },
        { "voice empty", With(d => d["voice"] = ""), "voice" },
        { "voice slash", With(d => d["voice"] = "../voices/x"), "voice" },

        // Output.
        { "odd width", With(d => Output(d)["width"] = 1023), "output.width" },
        { "odd height", With(d => Output(d)["height"] = 511), "output.height" },
        { "width 158", With(d => Output(d)["width"] = 158), "output.width" },
        { "height 88", With(d => Output(d)["height"] = 88), "output.height" },
        { "width 3842", With(d => d["output"] = new JsonObject { ["width"] = 3842, ["height"] = 2160 }), "output.width" },
        { "height 2162", With(d => d["output"] = new JsonObject { ["width"] = 3840, ["height"] = 2162 }), "output.height" },
        { "fps 0", With(d => Output(d)["fps"] = 0), "output.fps" },
        { "fps 61", With(d => Output(d)["fps"] = 61), "output.fps" },
        { "fps negative", With(d => Output(d)["fps"] = -30), "output.fps" },

        // Anything else.
        { "unknown top-level property", With(d => d["author"] = "me"), "author" },
        { "unknown image property", With(d => Image(d, 2)["alt"] = "text"), "images[2].alt" },
        { "unknown output property", With(d => Output(d)["bitrate"] = 5000), "output.bitrate" },
        { "duplicate property", """{"id":"a","id":"b","title":"T","paragraphs":["x"]}""", "id" },
    };

    [Theory]
    [MemberData(nameof(BadStories))]
    public void Bad_story_is_rejected_naming_the_field(string name, string json, string field)
    {
        var result = StoryParser.Parse(json);

        Assert.False(result.IsValid, name);
        Assert.Null(result.Story);
        Assert.Contains(result.Errors, e => e.Field == field);
        Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
    }

    [Fact]
    public void Text_that_would_hold_the_speech_step_for_hours_is_refused_at_publish_naming_the_paragraph_and_the_word_or_sentence()
    {
        var longWord = StoryParser.Parse(With(d => d["paragraphs"]![1] = "Libraries get " + new string('a', 99_000) + " hours."));
        var error = Assert.Single(longWord.Errors);
        Assert.Equal("paragraphs[1]", error.Field);
        Assert.Contains("characters long; the limit is 10000 per paragraph", error.Message);
        var word = StoryParser.Parse(With(d => d["paragraphs"]![1] = "Libraries get " + new string('a', 65) + " hours."));
        Assert.Equal("paragraphs[1]: word 3 ('aaaaaaaaaaaaaaaaaaaaaaa…') is 65 characters long; the limit is 64", Assert.Single(word.Errors).ToString());
        var sentence = StoryParser.Parse(With(d => d["paragraphs"]![0] = "Short one. " + string.Join(" and ", Enumerable.Repeat("the council met", 80)) + "."));
        var sentenceError = Assert.Single(sentence.Errors);
        Assert.Equal("paragraphs[0]", sentenceError.Field);
        Assert.StartsWith("sentence 2 ('the council met and the council met and…') is 1", sentenceError.Message);
        Assert.EndsWith("the limit is 1000: break it up", sentenceError.Message);
        // What news prose looks like passes: 64-letter tokens, a long but ordinary paragraph.
        var prose = StoryParser.Parse(With(d => d["paragraphs"]![0] = "See " + new string('x', 64) + ". " +
            string.Join(' ', Enumerable.Repeat("The council approved the budget on Tuesday.", 200))));
        Assert.True(prose.IsValid, string.Join("; ", prose.Errors));
    }

    [Fact]
    public void Invalid_json_reports_the_position()
    {
        var result = StoryParser.Parse("{\n  \"id\": \"a\",\n  \"title\": ,\n}");
        var error = Assert.Single(result.Errors);
        Assert.Equal("", error.Field);
        Assert.Contains("not valid JSON", error.Message);
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void All_errors_are_reported_at_once()
    {
        var result = StoryParser.Parse(With(d =>
        {
            d["id"] = "Bad Id";
            d["paragraphs"]![0] = "";
            Image(d, 0)["uri"] = "http://x/a.jpg";
            Image(d, 1)["paragraph"] = 9;
            Output(d)["fps"] = 0;
            d["colour"] = "red";
        }));

        var fields = result.Errors.Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "id", "paragraphs[0]", "images[0].uri", "images[1].paragraph", "output.fps", "colour" }, fields);
        Assert.Equal(6, result.Errors.Count);
    }

    [Fact]
    public void Error_messages_say_what_is_expected()
    {
        string Message(string json) => Assert.Single(StoryParser.Parse(json).Errors).Message;

        Assert.Contains("integer", Message(With(d => Output(d)["width"] = "1024")));
        Assert.Contains("string", Message(With(d => d["title"] = 5)));
        Assert.Contains("'..'", Message(With(d => Image(d, 0)["uri"] = "a/../b.jpg")));
        Assert.Contains("'http:'", Message(With(d => Image(d, 0)["uri"] = "http://x/a.jpg")));
        Assert.Contains("absolute", Message(With(d => Image(d, 0)["uri"] = "/a.jpg")));
        Assert.Contains("backslash", Message(With(d => Image(d, 0)["uri"] = "a\\b.jpg")));
        Assert.Contains("5001 words", Message(With(d => d["paragraphs"] = Paragraphs(Prose(2500, "w"), Prose(2500, "w"), "Over."))));
        Assert.Contains("'author'", Message(With(d => d["author"] = "me")));
        Assert.Contains("even", Message(With(d => Output(d)["width"] = 1023)));
    }

    [Fact]
    public void A_flood_of_errors_is_capped()
    {
        var blanks = new JsonArray(Enumerable.Range(0, 10_000).Select(_ => (JsonNode?)JsonValue.Create("")).ToArray());
        var result = StoryParser.Parse(With(d => d["paragraphs"] = blanks));

        Assert.False(result.IsValid);
        Assert.True(result.Errors.Count <= 101);
        Assert.Contains("more error", result.Errors[^1].Message);
    }

    [Theory]
    [InlineData("""{"id":"a","title":"bad \ud800 x","paragraphs":["One."]}""", "title")]
    [InlineData("""{"id":"a","title":"T","paragraphs":["fine", "bad \udc00 x"]}""", "paragraphs[1]")]
    [InlineData("""{"id":"a","title":"T","paragraphs":["One."],"images":[{"uri":"a.png","caption":"x \ud83d"}]}""", "images[0].caption")]
    [InlineData("""{"id":"a","title":"T","paragraphs":["One."],"presenter":"\ud800"}""", "presenter")]
    public void A_lone_surrogate_escape_is_an_error_naming_its_field(string json, string field)
    {
        var result = StoryParser.Parse(json);
        var error = Assert.Single(result.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains("lone surrogate", error.Message);
        Assert.Equal(result.Errors, StoryParser.Parse(System.Text.Encoding.UTF8.GetBytes(json)).Errors);
    }

    [Fact]
    public void A_lone_surrogate_in_a_property_name_is_an_error_not_an_exception()
    {
        var result = StoryParser.Parse("""{"id":"a","title":"T","paragraphs":["One."],"\ud800":1}""");
        Assert.False(result.IsValid);
        Assert.Contains("not valid Unicode", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_refused_instead_of_becoming_replacement_characters()
    {
        var bytes = "{\"id\":\"a\",\"title\":\"caf\u00e9\",\"paragraphs\":[\"One.\"]}"u8.ToArray().ToList();
        var at = bytes.IndexOf((byte)'f') + 1;
        bytes.Insert(at, 0xFF); // a byte no UTF-8 text holds
        var result = StoryParser.Parse(bytes.ToArray());
        Assert.Null(result.Story);
        Assert.Contains("not valid UTF-8", Assert.Single(result.Errors).Message);
    }

    [Theory]
    [InlineData("""{"id":"a","title":"T","paragraphs":["bell \u0007 here"]}""", "paragraphs[0]", "U+0007")]
    [InlineData("""{"id":"a","title":"T","paragraphs":["nul \u0000 here"]}""", "paragraphs[0]", "U+0000")]
    [InlineData("""{"id":"a","title":"T","paragraphs":["One."],"images":[{"uri":"a.png","caption":"esc \u001b[31m"}]}""", "images[0].caption", "U+001B")]
    [InlineData("""{"id":"a","title":"T \u0085 x","paragraphs":["One."]}""", "title", "control")]
    public void Control_characters_other_than_newline_and_tab_are_refused_in_every_text_field(string json, string field, string named)
    {
        var error = Assert.Single(StoryParser.Parse(json).Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Newline_and_tab_stay_allowed_in_paragraphs()
    {
        var result = StoryParser.Parse("""{"id":"a","title":"T","paragraphs":["Line one\nline\ttwo."]}""");
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }
}

public sealed class StoryCaptionsFieldTests
{
    private const string Minimal = """{"id":"a","title":"T","paragraphs":["One two three."]}""";

    private static string WithCaptions(string json) => Minimal[..^1] + ",\"captions\":" + json + "}";

    [Theory]
    [InlineData("\"both\"", StoryCaptions.Both)]
    [InlineData("\"burned\"", StoryCaptions.Burned)]
    [InlineData("\"sidecar\"", StoryCaptions.Sidecar)]
    [InlineData("\"none\"", StoryCaptions.None)]
    public void Captions_takes_its_four_choices_and_keeps_them_through_the_canonical_form(string json, StoryCaptions expected)
    {
        var story = StoryParser.Parse(WithCaptions(json)).Story!;
        Assert.Equal(expected, story.Captions);
        Assert.Equal(expected, StoryParser.Parse(story.ToCanonicalJson()).Story!.Captions);
    }

    [Fact]
    public void A_story_without_captions_means_both_and_keeps_the_canonical_bytes_it_had_before_the_field_existed()
    {
        var story = StoryParser.Parse(Minimal).Story!;
        Assert.Equal(StoryCaptions.Both, story.Captions);
        Assert.DoesNotContain("captions", story.ToCanonicalJson());
        Assert.Equal(story.ContentHash(), StoryParser.Parse(WithCaptions("\"both\"")).Story!.ContentHash());
        Assert.NotEqual(story.ContentHash(), StoryParser.Parse(WithCaptions("\"none\"")).Story!.ContentHash());
    }

    [Theory]
    [InlineData("\"subtitles\"", "'subtitles' is not a way to deliver captions")]
    [InlineData("\"Both\"", "'Both' is not a way to deliver captions")]
    [InlineData("true", "must be a string")]
    [InlineData("null", "must be a string")]
    public void A_bad_captions_value_is_an_error_naming_the_field(string json, string message)
    {
        var result = StoryParser.Parse(WithCaptions(json));
        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("captions", error.Field);
        Assert.Contains(message, error.Message);
    }
}
