using System.Diagnostics;
using System.Globalization;
using System.Text;
using NiusTv.Steps.Stories;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Speech;

/// <summary>A Festival voice: the Scheme command that selects it and the folder Debian installs it in.</summary>
public sealed record FestivalVoice(string Name, string Command, string Directory, string Gender, string Package)
{
    /// <summary>US English female, HTS (festvox-us-slt-hts): the best voice Debian has, the default.</summary>
    public static readonly FestivalVoice Slt = new("slt", "voice_cmu_us_slt_arctic_hts", "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts", "female", "festvox-us-slt-hts");

    /// <summary>US English male, diphone, 16 kHz (festvox-kallpc16k).</summary>
    public static readonly FestivalVoice Kal = new("kal", "voice_kal_diphone", "/usr/share/festival/voices/english/kal_diphone", "male", "festvox-kallpc16k");

    public static readonly IReadOnlyList<FestivalVoice> Known = [Slt, Kal];
}

/// <summary>Festival with one of its voices (the CMU SLT HTS voice by default). The whole story is one <c>festival -b</c> run: starting
/// Festival and loading the voice costs about 0.2 s, and the phone end times are printed from the very
/// utterances whose waves are saved, so audio and timings cannot disagree (text2wave re-synthesizes per
/// sentence and adds pauses, TOOLCHAIN.md §1).</summary>
public sealed class FestivalSynthesizer : ISpeechSynthesizer
{
    public const string BackendName = "festival";
    public const string DefaultVoiceDirectory = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts";

    // Festival prints these before every line we parse, so its own chatter on stdout cannot be mistaken for data.
    private const string SegmentTag = "niustv-seg";
    private const string DoneTag = "niustv-done";

    private readonly ExternalTool _festival;
    private readonly string _voiceDirectory;
    private readonly FestivalVoice _voice;

    /// <param name="program">The festival executable (name on PATH or a path).</param>
    /// <param name="voiceDirectory">Where the voice is installed; without it Festival has no voice to select.</param>
    /// <param name="voice">The voice (default: SLT HTS).</param>
    public FestivalSynthesizer(string program = "festival", string? voiceDirectory = null, FestivalVoice? voice = null)
    {
        _festival = new ExternalTool(program);
        _voice = voice ?? FestivalVoice.Slt;
        _voiceDirectory = voiceDirectory ?? _voice.Directory;
    }

    public VoiceInfo Voice => new(_voice.Name, "en-US", _voice.Gender, BackendName);

    /// <summary>Time allowed for any story, on top of <see cref="TimeoutPerChar"/>. Festival runs at RTF 0.04
    /// on one idle core, about 3 ms per character of text; the defaults leave room for a busy node and the
    /// voice load, and grow with the text so that a long story is not killed while a stuck Festival is.</summary>
    public TimeSpan BaseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan TimeoutPerChar { get; init; } = TimeSpan.FromMilliseconds(20);

    public string Name => BackendName;

    public bool IsAvailable => _festival.IsAvailable && Directory.Exists(_voiceDirectory);

    public async Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
        IProgress<double>? progress = null, Phonemes.PronunciationSet? pronunciations = null)
    {
        var clock = Stopwatch.StartNew();
        var texts = paragraphs.Select((p, i) => (Index: i, Text: ToFestivalText(p)))
            .Where(p => p.Text.Length > 0).ToList();
        if (texts.Count == 0) throw StepFailure.Permanent("there is no text to speak: every paragraph is empty");

        var dir = OrphanGuard.CreateTempFolder("festival");
        try
        {
            var script = new StringBuilder();
            // The voice is selected again for every paragraph so that no paragraph depends on settings an
            // earlier one left behind (measured: no cost, the model stays loaded). Flushing after each
            // paragraph lets the step report progress while Festival is still running.
            // The editors' pronunciations are lexicon entries of this run only: added after the voice is selected (which
            // selects its lexicon), syllabified and stressed by Festival itself.
            script.AppendLine("(define (niustv_lexicon)");
            foreach (var entry in pronunciations?.Entries ?? [])
            {
                script.AppendLine("  " + Phonemes.PronunciationSet.ToFestival(entry));
                // Festival looks "Ruiz's" up as a word of its own.
                if (!entry.Key.EndsWith("'s", StringComparison.Ordinal))
                    script.AppendLine("  " + Phonemes.PronunciationSet.ToFestival(Phonemes.PronunciationSet.Possessive(entry)));
            }
            script.AppendLine("  t)");
            script.AppendLine($$"""
                (define (niustv_say idx txt wav)
                  ({{_voice.Command}})
                  (niustv_lexicon)
                  (let ((u (eval (list 'Utterance 'Text txt))))
                    (utt.synth u)
                    (utt.save.wave u wav 'riff)
                    (mapcar
                      (lambda (s)
                        (format t "{{SegmentTag}} %d %s %s %s %s\n" idx (item.name s) (item.feat s "end")
                          (item.feat s "R:SylStructure.parent.parent.id")
                          (item.feat s "R:SylStructure.parent.parent.name")))
                      (utt.relation.items u 'Segment))
                    (format t "{{DoneTag}} %d\n" idx)
                    (fflush nil)))
                """);
            foreach (var (index, text) in texts)
                script.AppendLine($"(niustv_say {index} {SchemeString(text)} {SchemeString(WavOf(dir.FullName, index))})");
            var scriptPath = Path.Combine(dir.FullName, "speech.scm");
            await File.WriteAllTextAsync(scriptPath, script.ToString(), new UTF8Encoding(false), ct);

            var timeout = BaseTimeout + TimeoutPerChar * texts.Sum(t => t.Text.Length);
            var segments = await RunFestivalAsync(scriptPath, dir.FullName, texts, timeout, progress, ct);

            var result = new List<ParagraphSpeech>();
            int rate = 0;
            foreach (var (index, _) in texts)
            {
                if (!segments.TryGetValue(index, out var segs))
                    throw StepFailure.Retryable($"festival printed no timings for paragraph {index}");
                var wav = ReadParagraphWave(WavOf(dir.FullName, index));
                if (rate != 0 && wav.SampleRate != rate)
                    throw StepFailure.Retryable($"festival wrote paragraphs at {rate} Hz and {wav.SampleRate} Hz; they cannot be joined");
                rate = wav.SampleRate;
                result.Add(ToParagraph(index, segs, wav));
            }
            var timings = SpeechAssembly.Assemble(BackendName, rate, result, wavPath);
            progress?.Report(1.0);
            return new SpeechResult(timings, wavPath, clock.Elapsed);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>How much longer than its last phone a paragraph's wave may be (a diphone voice's tail).</summary>
    private const double MaxTrailingAudio = 0.1;

    private static string WavOf(string dir, int index) => Path.Combine(dir, $"p{index}.wav");

    private sealed record Segment(string Phone, double End, string WordId, string Word);

    private async Task<Dictionary<int, List<Segment>>> RunFestivalAsync(string scriptPath, string workDir,
        IReadOnlyList<(int Index, string Text)> texts, TimeSpan timeout, IProgress<double>? progress, CancellationToken ct)
    {
        var paragraphCount = texts.Count;
        await using var process = _festival.Start(["-b", scriptPath], workDir, redirectStdin: false);

        var segments = new Dictionary<int, List<Segment>>();
        int done = 0, lines = 0;
        var reader = Task.Run(async () =>
        {
            while (await process.StdoutText.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lines++;
                if (line.StartsWith(SegmentTag + " ", StringComparison.Ordinal))
                {
                    var seg = ParseSegment(line, out int idx);
                    if (!segments.TryGetValue(idx, out var list)) segments[idx] = list = [];
                    list.Add(seg);
                }
                else if (line.StartsWith(DoneTag + " ", StringComparison.Ordinal))
                {
                    done++;
                    // The last 5 % is kept for joining the paragraphs and writing the WAV.
                    progress?.Report(0.95 * done / paragraphCount);
                }
            }
        }, CancellationToken.None);

        try
        {
            await process.WaitAsync(timeout, ct);
        }
        catch (StepFailure timedOut)
        {
            // What Festival said before it was stopped is the only clue to why it hung.
            await reader;
            process.WaitForExit();
            // Text past the publish bounds (a story accepted before they existed) takes as long on every attempt:
            // that is the story's fault, not the node's, so no retry.
            if (done < texts.Count && StoryParser.SpeakableProblem(texts[done].Text) is { } tooLong)
                throw StepFailure.Permanent($"{timedOut.Message} while speaking paragraph {texts[done].Index + 1}, which {tooLong}; " +
                    "a retry would take as long, so the story must be edited");
            throw StepFailure.Retryable($"{timedOut.Message} after {done} of {paragraphCount} paragraphs: {Tail(process.StderrTail.Trim())}", timedOut);
        }
        finally
        {
            await reader; // ends once the process is gone and its stdout closed
            process.WaitForExit(); // flushes the async stderr reader
        }

        var tail = process.StderrTail.Trim();
        if (process.ExitCode != 0)
            throw StepFailure.Retryable($"festival exited with code {process.ExitCode}: {Tail(tail)}");
        if (lines == 0 || segments.Count == 0)
            throw StepFailure.Retryable($"festival printed nothing{(tail.Length > 0 ? ": " + tail : "")}");
        if (done != paragraphCount)
            throw StepFailure.Retryable($"festival finished {done} of {paragraphCount} paragraphs: {Tail(tail)}");
        return segments;
    }

    private static string Tail(string stderr) => stderr.Length > 0 ? stderr : "(no message on stderr)";

    private static Segment ParseSegment(string line, out int paragraph)
    {
        // "<tag> <paragraph> <phone> <end> <word id> <word name…>": the word name goes last because it is
        // the only field that could in principle contain spaces.
        var parts = line.Split(' ', 6);
        if (parts.Length < 6
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out paragraph)
            || !double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var end))
            throw StepFailure.Retryable($"festival printed a segment line this step cannot read: '{line}'");
        return new Segment(parts[2], end, parts[4], parts[5]);
    }

    private static WaveFile ReadParagraphWave(string path)
    {
        if (!File.Exists(path)) throw StepFailure.Retryable($"festival did not write {Path.GetFileName(path)}");
        try { return WaveFile.Read(path); }
        catch (InvalidDataException e) { throw StepFailure.Retryable($"festival wrote an unreadable wave: {e.Message}", e); }
    }

    private static ParagraphSpeech ToParagraph(int index, List<Segment> segs, WaveFile wav)
    {
        double length = wav.Duration;
        double lastEnd = segs[^1].End;
        // Festival prints the ends as floats with about 8 digits; the last end is the wave's length up to that
        // rounding (HTS). A diphone voice's wave runs on past the last end by the final diphone's tail (kal: 22 ms);
        // the last pause takes it. A larger difference would mean the timings belong to other audio.
        if (lastEnd - length > Math.Max(2.0 / wav.SampleRate, 0.001) || length - lastEnd > MaxTrailingAudio)
            throw StepFailure.Retryable($"festival's timings for paragraph {index} end at {lastEnd:0.000} s but its audio lasts {length:0.000} s");

        var words = new List<string>();
        var phones = new List<LocalPhone>(segs.Count);
        string? currentId = null;
        double start = 0;
        for (int i = 0; i < segs.Count; i++)
        {
            var s = segs[i];
            // Pauses have no word: the feature path fails and Festival prints 0 for id and name.
            bool pause = s.WordId == "0" || s.Phone == "pau";
            int word = -1;
            if (!pause)
            {
                // Ids, not names, tell words apart: "very very" is two words with equal names.
                if (s.WordId != currentId) { words.Add(s.Word.ToLowerInvariant()); currentId = s.WordId; }
                word = words.Count - 1;
            }
            else currentId = null;
            // The last end is snapped to the sample count so that the paragraph's phones fill its audio exactly.
            double end = i == segs.Count - 1 ? length : Math.Min(s.End, length);
            phones.Add(new LocalPhone(s.Phone, start, end, word));
            start = end;
        }
        return new ParagraphSpeech(index, wav.Samples, phones, words);
    }

    /// <summary>A Scheme string literal. Inside SIOD strings only backslash and double quote are special;
    /// control characters were removed before.</summary>
    internal static string SchemeString(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is '\\' or '"') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Festival reads bytes, not Unicode: "café" comes out as "caf" plus one spelled-out word per
    /// UTF-8 byte, so the text goes to ASCII first (<see cref="SpeechText.ToAscii"/>).</summary>
    internal static string ToFestivalText(string paragraph) =>
        string.Join(' ', SpeechText.ToAscii(SpeechAssembly.StripControl(paragraph)).Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
