using System.Globalization;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Speech;

/// <summary>Listening to speech with pocketsphinx (Debian's <c>pocketsphinx_continuous</c>, its default US English
/// acoustic model): a free decode with the default language model and dictionary, for measuring how intelligible a
/// voice is (<c>nius bench speech</c>); or a decode against a grammar with a dictionary of its own, for asking which of
/// several pronunciations the audio says.</summary>
public sealed class SpeechRecognizer(string program = "pocketsphinx_continuous", string ffmpegProgram = "ffmpeg")
{
    public const string DefaultModel = PocketsphinxAligner.DefaultModel;
    private readonly ExternalTool _decoder = new(program);
    private readonly ExternalTool _ffmpeg = new(ffmpegProgram);

    public bool IsAvailable => _decoder.IsAvailable && _ffmpeg.IsAvailable && File.Exists(Path.Combine(DefaultModel, "mdef"));

    /// <summary>The words heard, lowercase, in order (one line per utterance the decoder's VAD found, joined).</summary>
    /// <param name="grammar">A JSGF grammar text; null for free decoding with the default language model.</param>
    /// <param name="dictionary">Dictionary lines (<c>word PH PH …</c>) for the grammar's words; null for the default.</param>
    public async Task<IReadOnlyList<string>> DecodeAsync(string wav, CancellationToken ct, string? grammar = null, IEnumerable<string>? dictionary = null)
    {
        if (!IsAvailable) throw new InvalidOperationException("pocketsphinx_continuous, ffmpeg and pocketsphinx-en-us are needed (apt-get install pocketsphinx pocketsphinx-en-us ffmpeg)");
        var dir = OrphanGuard.CreateTempFolder("listen");
        try
        {
            var wav16 = Path.Combine(dir.FullName, "a16k.wav");
            var resampled = await _ffmpeg.RunAsync(["-nostdin", "-loglevel", "error", "-y", "-i", wav, "-ac", "1", "-ar", "16000",
                "-sample_fmt", "s16", "-f", "wav", wav16], TimeSpan.FromSeconds(120), ct);
            if (resampled.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not resample {wav}: {resampled.StderrTail.Trim()}");
            var args = new List<string> { "-infile", wav16 };
            if (grammar is not null)
            {
                var jsgf = Path.Combine(dir.FullName, "g.jsgf");
                await File.WriteAllTextAsync(jsgf, grammar, ct);
                args.AddRange(["-jsgf", jsgf]);
            }
            if (dictionary is not null)
            {
                var dict = Path.Combine(dir.FullName, "g.dict");
                await File.WriteAllLinesAsync(dict, dictionary, ct);
                args.AddRange(["-dict", dict]);
            }
            var seconds = new FileInfo(wav16).Length / 32000.0;
            var result = await _decoder.RunAsync(args, TimeSpan.FromSeconds(60 + seconds * 2), ct, workingDirectory: dir.FullName);
            if (result.ExitCode != 0) throw new InvalidOperationException($"pocketsphinx_continuous failed (exit {result.ExitCode}): {result.StderrTail.Trim()}");
            return result.Stdout.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToLowerInvariant()).ToList();
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Word accuracy of a hypothesis against the reference: (N − substitutions − deletions − insertions) / N
    /// from the minimum edit alignment, as speech recognition reports it (it can go below zero).</summary>
    public static WordScore Score(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis)
    {
        var n = reference.Count;
        var m = hypothesis.Count;
        var d = new int[n + 1, m + 1];
        for (var i = 0; i <= n; i++) d[i, 0] = i;
        for (var j = 0; j <= m; j++) d[0, j] = j;
        for (var i = 1; i <= n; i++)
            for (var j = 1; j <= m; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1));
        // Walk back to count each kind of error.
        int sub = 0, del = 0, ins = 0, x = n, y = m;
        while (x > 0 || y > 0)
        {
            if (x > 0 && y > 0 && d[x, y] == d[x - 1, y - 1] + (reference[x - 1] == hypothesis[y - 1] ? 0 : 1))
            {
                if (reference[x - 1] != hypothesis[y - 1]) sub++;
                x--; y--;
            }
            else if (x > 0 && d[x, y] == d[x - 1, y] + 1) { del++; x--; }
            else { ins++; y--; }
        }
        return new WordScore(n, n - sub - del, sub, del, ins);
    }

    /// <summary>The words a script is heard as: the speech step's normalized text, split as the dictionary spells
    /// words (<see cref="ScriptWords"/>), apostrophes kept, in ASCII as the voices read them ("café" is "cafe").</summary>
    public static IReadOnlyList<string> ReferenceWords(IEnumerable<string> spokenParagraphs) =>
        spokenParagraphs.Select(SpeechText.ToAscii).SelectMany(ScriptWords.Split).ToList();
}

/// <param name="Words">Words in the reference.</param>
/// <param name="Correct">Reference words the decoder got (hits).</param>
public sealed record WordScore(int Words, int Correct, int Substitutions, int Deletions, int Insertions)
{
    /// <summary>Words right, minus insertions, over reference words (1 − WER).</summary>
    public double Accuracy => Words == 0 ? 0 : (double)(Words - Substitutions - Deletions - Insertions) / Words;

    /// <summary>Reference words heard (hits over words), which ignores insertions.</summary>
    public double Correctness => Words == 0 ? 0 : (double)Correct / Words;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Accuracy:P1} ({Correct}/{Words} right, {Substitutions} sub, {Deletions} del, {Insertions} ins)");
}
