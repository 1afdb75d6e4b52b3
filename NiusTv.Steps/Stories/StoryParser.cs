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

    public static StoryParseResult Parse(ReadOnlySpan<byte> utf8Json) => ParseCore(System.Text.Encoding.UTF8.GetString(utf8Json));
}
