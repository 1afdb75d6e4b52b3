using NiusTv.Steps.Phonemes;

namespace NiusTv.Tests.Phonemes;

/// <summary>Word pronunciations for the aligner tests: the first spelling of each word in pocketsphinx-en-us's
/// CMU dictionary. Test-only, so that the tests do not depend on which pronouncer the node uses.</summary>
public sealed class TestPronouncer : IPronouncer
{
    private static readonly Lazy<Dictionary<string, string[]>> Entries = new(() =>
    {
        var entries = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 1 && !f[0].EndsWith(')')) entries.TryAdd(f[0], f[1..]);
        }
        return entries;
    });

    public List<string> Asked { get; } = [];

    public Pronunciation Pronounce(string word)
    {
        lock (Asked) Asked.Add(word);
        return Entries.Value.TryGetValue(word, out var phones)
            ? new Pronunciation(word, phones, PronunciationSource.Dictionary)
            : throw new InvalidOperationException($"the test script uses '{word}', which the CMU dictionary lacks");
    }
}
