namespace NiusTv.Steps.Stories;

public static partial class StoryParser
{
    // Replaced by the real validator (issue 2, item 6).
    private static StoryParseResult ParseCore(string json) => throw new NotImplementedException();
}
