namespace NiusTv.Steps.Phonemes;

/// <summary>The phone set of <c>phones.json</c>: the 39 CMU phones without stress (the pocketsphinx
/// dictionary's, TOOLCHAIN.md §3) plus <see cref="PhoneTrack.Silence"/>.</summary>
public static class CmuPhones
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
        "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    };

    /// <summary>Festival's radio phone set (lowercase CMU plus ax, axr, pau) to ours: the reduced vowels have no
    /// phone of their own in the dictionary, whose spellings give AH and ER for them. Null for a phone that is
    /// not in the radio set (another voice's phone set).</summary>
    public static string? FromFestival(string phone) => phone switch
    {
        "ax" => "AH",
        "axr" => "ER",
        "pau" or "h#" or "brth" => PhoneTrack.Silence,
        _ => All.Contains(phone.ToUpperInvariant()) && phone == phone.ToLowerInvariant() ? phone.ToUpperInvariant() : null,
    };

    /// <summary>A dictionary or gentle phone ("AH0", "ah", "dh_B") without stress digits or position suffix;
    /// null when it is not a CMU phone.</summary>
    public static string? Plain(string phone)
    {
        var p = phone;
        var underscore = p.IndexOf('_');
        if (underscore > 0) p = p[..underscore];
        p = p.TrimEnd('0', '1', '2').ToUpperInvariant();
        if (p is "SIL" or "SP") return PhoneTrack.Silence;
        return All.Contains(p) ? p : null;
    }
}

/// <summary>The words of a normalized paragraph as the dictionary spells them: lowercase, split at spaces,
/// hyphens and slashes, with surrounding punctuation gone and inner apostrophes kept ("mary's").</summary>
public static class ScriptWords
{
    public static IReadOnlyList<string> Split(string paragraph)
    {
        var words = new List<string>();
        foreach (var raw in paragraph.Split([' ', '-', '/', '\u2013', '\u2014', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            int start = 0, end = raw.Length;
            while (start < end && !char.IsLetterOrDigit(raw[start])) start++;
            while (end > start && !char.IsLetterOrDigit(raw[end - 1])) end--;
            if (end > start) words.Add(raw[start..end].ToLowerInvariant());
        }
        return words;
    }
}
