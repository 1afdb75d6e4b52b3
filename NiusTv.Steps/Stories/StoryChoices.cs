namespace NiusTv.Steps.Stories;

/// <summary>The presenters and voices a node offers. A story naming another is refused when it is published, with
/// the choices there are, rather than failing at the landmarks or speech step minutes later. Read at each check:
/// `nius presenter add` can add a presenter while the node runs.</summary>
public sealed class StoryChoices(Func<IReadOnlyList<string>> presenters, Func<IReadOnlyList<string>> voices,
    Func<string, string?>? presenterVoice = null)
{
    public IReadOnlyList<string> Presenters => presenters();
    public IReadOnlyList<string> Voices => voices();

    public IReadOnlyList<StoryError> Check(Story story)
    {
        var errors = new List<StoryError>();
        var offered = Presenters;
        if (!offered.Contains(story.Presenter, StringComparer.Ordinal))
            errors.Add(new StoryError("presenter", $"'{story.Presenter}' is not a presenter on this node; choose one of: {List(offered)}"));
        var voices = Voices;
        if (!voices.Contains(story.Voice, StringComparer.OrdinalIgnoreCase))
            errors.Add(new StoryError("voice", $"'{story.Voice}' is not a voice on this node; choose one of: {List(voices)}"));
        // A default voice reads with the presenter's own voice: that one must be here too.
        else if (story.Voice.Equals("default", StringComparison.OrdinalIgnoreCase) && presenterVoice?.Invoke(story.Presenter) is { } own
                 && !voices.Contains(own, StringComparer.OrdinalIgnoreCase))
            errors.Add(new StoryError("voice", $"is 'default', and the presenter '{story.Presenter}' reads with '{own}', which is not a voice on this node; " +
                $"set 'voice' to one of: {List(voices)}"));
        return errors;
    }

    private static string List(IReadOnlyList<string> names) => names.Count == 0 ? "(none installed)" : string.Join(", ", names.Select(n => $"'{n}'"));
}
