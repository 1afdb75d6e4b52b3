namespace NiusTv.Steps.Stories;

/// <summary>One problem with a submitted story. <see cref="Field"/> is a JSON path such as <c>images[1].uri</c>
/// (empty for a document that is not JSON at all).</summary>
public sealed record StoryError(string Field, string Message)
{
    public override string ToString() => string.IsNullOrEmpty(Field) ? Message : $"{Field}: {Message}";
}

public sealed record StoryParseResult(Story? Story, IReadOnlyList<StoryError> Errors)
{
    public bool IsValid => Story is not null && Errors.Count == 0;
}

/// <summary>The one validator for story documents, shared by `nius publish`, the admin endpoint and ingest.</summary>
public static partial class StoryParser
{
    public const int MaxWords = 5000;
    public const int MinWidth = 160, MinHeight = 90, MaxWidth = 3840, MaxHeight = 2160;

    public static StoryParseResult Parse(string json) => ParseCore(json);

    /// <summary>Bytes that are not valid UTF-8 are refused: decoding them leniently would store U+FFFD in their place
    /// and speak or show a text the editor never wrote.</summary>
    public static StoryParseResult Parse(ReadOnlySpan<byte> utf8Json)
    {
        string json;
        try { json = StrictUtf8.GetString(utf8Json); }
        catch (System.Text.DecoderFallbackException e)
        {
            return new StoryParseResult(null, [new StoryError("", $"the story is not valid UTF-8 (at byte {e.Index})")]);
        }
        return ParseCore(json);
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why a piece of story text cannot be taken, or null: control characters other than newline and tab
    /// are invisible on the page and make speech or captions misbehave.</summary>
    public static string? ControlCharacterProblem(string text)
    {
        for (var i = 0; i < text.Length; i++)
            if (char.IsControl(text[i]) && text[i] is not '\n' and not '\t')
                return $"holds the control character U+{(int)text[i]:X4} at position {i + 1}; only newline and tab are allowed";
        return null;
    }
}
