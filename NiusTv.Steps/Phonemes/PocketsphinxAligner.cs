using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Tools;

namespace NiusTv.Steps.Phonemes;

/// <summary>Forced alignment with Debian's pocketsphinx (TOOLCHAIN.md §2, method B): every phone is a "word"
/// of its own, and each paragraph's phone sequence (from the <see cref="IPronouncer"/>) is a straight-line
/// finite-state grammar with optional silence at both ends and filler silences between phones. Decoding
/// against that grammar is a Viterbi alignment; the hypothesis' segmentation gives each phone's start frame.
/// For speech backends that give no timings (Tacotron2) and as a check on those that do.
/// One <c>pocketsphinx_batch</c> run decodes every paragraph of a story (the model is loaded once); the
/// paragraphs are separate utterances cut from the audio at their spans in <c>timings.json</c>, so the search
/// stays small however long the story is.</summary>
public sealed class PocketsphinxAligner : IAligner
{
    public const string AlignerName = "pocketsphinx";
    public const string DefaultModel = "/usr/share/pocketsphinx/model/en-us/en-us";
    private const int SampleRate = 16000;
    private const double FrameSeconds = 0.01; // pocketsphinx's default frame rate is 100 per second
    private const string PhoneWordPrefix = "ph";

    private readonly ExternalTool _batch;
    private readonly ExternalTool _ffmpeg;
    private readonly string _model;

    public PocketsphinxAligner(string batchProgram = "pocketsphinx_batch", string ffmpegProgram = "ffmpeg", string model = DefaultModel)
    {
        _batch = new ExternalTool(batchProgram);
        _ffmpeg = new ExternalTool(ffmpegProgram);
        _model = model;
    }

    public string Name => AlignerName;

    /// <summary>Audio kept on each side of a paragraph's span, so a first phone that starts a little early is
    /// not cut off; never more than half the gap to the next paragraph.</summary>
    public double MarginSeconds { get; init; } = 0.25;

    /// <summary>Time allowed for a run, plus <see cref="TimeoutPerAudioSecond"/> for each second of audio it
    /// decodes. Measured: about 0.05 s per second of audio on one idle core.</summary>
    public TimeSpan BaseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan TimeoutPerAudioSecond { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many pocketsphinx processes share a story's paragraphs: each is single-threaded, and a node
    /// runs several stories at once.</summary>
    public int Parallelism { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    public bool IsAvailable => _batch.IsAvailable && _ffmpeg.IsAvailable && File.Exists(Path.Combine(_model, "mdef"));

    public bool CanAlign(AlignmentRequest request) =>
        IsAvailable && request.Paragraphs.Any(p => !string.IsNullOrWhiteSpace(p));

    private sealed record ScriptWord(string Text, Pronunciation Pronunciation);

    private sealed record Chunk(int Paragraph, string Id, double Start, int Frames, IReadOnlyList<ScriptWord> Words, IReadOnlyList<string> Phones);

    public async Task<PhoneTrack> AlignAsync(AlignmentRequest request, IPronouncer pronouncer, CancellationToken ct)
    {
        if (!IsAvailable)
            throw StepFailure.Retryable($"pocketsphinx alignment needs {_batch.Program}, {_ffmpeg.Program} and the model in {_model} " +
                "(apt-get install pocketsphinx pocketsphinx-en-us ffmpeg)");
        var script = Script(request, pronouncer);
        if (script.Count == 0) throw StepFailure.Permanent("there is nothing to align: every paragraph is empty");

        var dir = OrphanGuard.CreateTempFolder("pocketsphinx");
        try
        {
            var audio = await Resample(request.Wav, dir.FullName, ct);
            var chunks = WriteChunks(script, request.Timings, audio, dir.FullName);
            File.WriteAllLines(Path.Combine(dir.FullName, "phones.dict"),
                CmuPhones.All.Order(StringComparer.Ordinal).Select(p => $"{PhoneWordPrefix}{p.ToLowerInvariant()} {p}"));

            // Paragraphs are dealt round-robin so that each process gets a similar amount of audio.
            var groups = Enumerable.Range(0, Math.Min(Parallelism, chunks.Count))
                .Select(g => chunks.Where((_, i) => i % Math.Min(Parallelism, chunks.Count) == g).ToList()).ToList();
            var hypotheses = await Task.WhenAll(groups.Select((g, i) => Decode(g, i, dir.FullName, ct)));
            var starts = hypotheses.SelectMany(h => h).ToDictionary(kv => kv.Key, kv => kv.Value);
            return Assemble(chunks, starts, request.Timings.Duration > 0 ? request.Timings.Duration : audio.Duration);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static List<(int Paragraph, List<ScriptWord> Words)> Script(AlignmentRequest request, IPronouncer pronouncer)
    {
        var cache = new Dictionary<string, Pronunciation>(StringComparer.Ordinal);
        var script = new List<(int, List<ScriptWord>)>();
        for (var p = 0; p < request.Paragraphs.Count; p++)
        {
            var words = ScriptWords.Split(request.Paragraphs[p]);
            if (words.Count == 0) continue;
            var list = new List<ScriptWord>(words.Count);
            foreach (var w in words)
            {
                if (!cache.TryGetValue(w, out var pron))
                {
                    var raw = pronouncer.Pronounce(w);
                    cache[w] = pron = raw with { Phones = raw.Phones.Select(CmuPhones.Plain).OfType<string>().Where(x => x != PhoneTrack.Silence).ToList() };
                }
                list.Add(new ScriptWord(w, pron));
            }
            script.Add((p, list));
        }
        return script;
    }

    private async Task<WaveFile> Resample(string wav, string dir, CancellationToken ct)
    {
        if (!File.Exists(wav)) throw StepFailure.Permanent($"{Path.GetFileName(wav)} is missing: the speech step did not write it");
        var out16 = Path.Combine(dir, "speech16k.wav");
        var result = await _ffmpeg.RunAsync(["-nostdin", "-loglevel", "error", "-y", "-i", wav, "-ac", "1", "-ar", SampleRate.ToString(CultureInfo.InvariantCulture),
            "-sample_fmt", "s16", "-f", "wav", out16], TimeSpan.FromSeconds(120), ct);
        if (result.ExitCode != 0 || !File.Exists(out16))
            throw StepFailure.Retryable($"ffmpeg could not resample {Path.GetFileName(wav)} to 16 kHz (exit {result.ExitCode}): {result.StderrTail.Trim()}");
        try { return WaveFile.Read(out16); }
        catch (InvalidDataException e) { throw StepFailure.Retryable($"ffmpeg wrote an unreadable 16 kHz WAV: {e.Message}", e); }
    }

    /// <summary>Cuts each paragraph's audio (its span plus a margin) into a raw 16-bit file and writes its
    /// grammar. A paragraph the timings have no span for is aligned over the whole audio between its neighbours.</summary>
    private List<Chunk> WriteChunks(List<(int Paragraph, List<ScriptWord> Words)> script, SpeechTimings timings, WaveFile audio, string dir)
    {
        var spans = script.Select(s => timings.Paragraphs.FirstOrDefault(x => x.Index == s.Paragraph)).ToList();
        var chunks = new List<Chunk>(script.Count);
        for (var i = 0; i < script.Count; i++)
        {
            double lower = i == 0 ? 0 : spans[i - 1] is { } prev && spans[i] is { } cur ? (prev.End + cur.Start) / 2 : spans[i - 1]?.End ?? 0;
            double upper = i == script.Count - 1 ? audio.Duration
                : spans[i + 1] is { } next && spans[i] is { } cur2 ? (cur2.End + next.Start) / 2 : spans[i + 1]?.Start ?? audio.Duration;
            var span = spans[i];
            double start = span is null ? lower : Math.Max(lower, span.Start - MarginSeconds);
            double end = span is null ? upper : Math.Min(upper, span.End + MarginSeconds);
            start = Math.Clamp(start, 0, audio.Duration);
            end = Math.Clamp(end, start, audio.Duration);
            int first = (int)Math.Round(start * SampleRate), last = (int)Math.Round(end * SampleRate);
            var id = $"p{script[i].Paragraph}";
            File.WriteAllBytes(Path.Combine(dir, id + ".raw"), MemoryMarshal.AsBytes(audio.Samples.AsSpan(first, last - first)).ToArray());

            var phones = script[i].Words.SelectMany(w => w.Pronunciation.Phones).ToList();
            if (phones.Count == 0)
                throw StepFailure.Permanent($"paragraph {script[i].Paragraph}: none of its words has a pronunciation, so it cannot be aligned");
            File.WriteAllText(Path.Combine(dir, id + ".fsg"), Grammar(id, phones));
            chunks.Add(new Chunk(script[i].Paragraph, id, (double)first / SampleRate, (last - first) / (SampleRate / 100), script[i].Words, phones));
        }
        return chunks;
    }

    /// <summary>A straight line through the phones, with optional silence before the first and after the last
    /// (pocketsphinx adds filler silences between them itself).</summary>
    private static string Grammar(string id, IReadOnlyList<string> phones)
    {
        var sb = new StringBuilder();
        int n = phones.Count;
        sb.Append("FSG_BEGIN ").Append(id).Append('\n')
          .Append("NUM_STATES ").Append(n + 3).Append('\n')
          .Append("START_STATE 0\n")
          .Append("FINAL_STATE ").Append(n + 2).Append('\n')
          .Append("TRANSITION 0 1 0.5 <sil>\nTRANSITION 0 1 0.5\n");
        for (var i = 0; i < n; i++)
            sb.Append("TRANSITION ").Append(i + 1).Append(' ').Append(i + 2).Append(" 1.0 ").Append(PhoneWordPrefix).Append(phones[i].ToLowerInvariant()).Append('\n');
        sb.Append("TRANSITION ").Append(n + 1).Append(' ').Append(n + 2).Append(" 0.5 <sil>\n")
          .Append("TRANSITION ").Append(n + 1).Append(' ').Append(n + 2).Append(" 0.5\n")
          .Append("FSG_END\n");
        return sb.ToString();
    }

    private sealed record Segment(string Word, int StartFrame);

    private async Task<Dictionary<string, List<Segment>>> Decode(List<Chunk> group, int index, string dir, CancellationToken ct)
    {
        var ctl = Path.Combine(dir, $"group{index}.ctl");
        var fsgctl = Path.Combine(dir, $"group{index}.fsgctl");
        var hypseg = Path.Combine(dir, $"group{index}.hypseg");
        File.WriteAllLines(ctl, group.Select(c => c.Id));
        File.WriteAllLines(fsgctl, group.Select(c => c.Id));
        var seconds = group.Sum(c => c.Frames * FrameSeconds);
        var timeout = BaseTimeout + TimeoutPerAudioSecond * seconds;
        var result = await _batch.RunAsync([
            "-hmm", _model, "-dict", Path.Combine(dir, "phones.dict"),
            "-adcin", "yes", "-adchdr", "0", "-samprate", SampleRate.ToString(CultureInfo.InvariantCulture),
            "-cepdir", dir, "-cepext", ".raw", "-ctl", ctl,
            "-fsgctl", fsgctl, "-fsgdir", dir, "-fsgext", ".fsg",
            // VAD off: it would drop the pauses this alignment has to place. A high silence probability lets the
            // decoder take Festival-length pauses as silence rather than stretching a phone over them.
            "-remove_silence", "no", "-silprob", "1.0",
            "-hypseg", hypseg,
        ], timeout, ct, workingDirectory: dir);
        if (result.ExitCode != 0 || !File.Exists(hypseg))
            throw StepFailure.Retryable($"pocketsphinx_batch failed (exit {result.ExitCode}): {Problems(result.StderrTail)}");

        var parsed = new Dictionary<string, List<Segment>>();
        foreach (var line in File.ReadLines(hypseg))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "<id> S <score> T <score> A <ascr> L <lscr>" then "<start frame> <ascr> <lscr> <word>" per segment.
            if (f.Length < 9) continue;
            var segs = new List<Segment>();
            for (var i = 9; i + 3 < f.Length; i += 4)
                segs.Add(new Segment(f[i + 3], int.Parse(f[i], CultureInfo.InvariantCulture)));
            parsed[f[0]] = segs;
        }
        foreach (var c in group)
            if (!parsed.TryGetValue(c.Id, out var segs) || segs.Count == 0)
                throw StepFailure.Permanent($"paragraph {c.Paragraph}: pocketsphinx could not fit its words to the audio " +
                    $"(no path through the script's {c.Phones.Count} phones); the audio does not say this paragraph's text. {Problems(result.StderrTail)}");
        return parsed;
    }

    /// <summary>pocketsphinx logs a page of INFO lines; a person needs its ERROR and WARN lines.</summary>
    private static string Problems(string stderr)
    {
        var lines = stderr.Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal) || l.StartsWith("FATAL", StringComparison.Ordinal)).ToList();
        return lines.Count > 0 ? string.Join(" | ", lines.TakeLast(5)).Trim() : stderr.Trim().Split('\n').LastOrDefault()?.Trim() ?? "(no message on stderr)";
    }

    private PhoneTrack Assemble(List<Chunk> chunks, Dictionary<string, List<Segment>> decoded, double duration)
    {
        var words = new List<AlignedWord>();
        var phones = new List<AlignedPhone>();
        foreach (var c in chunks)
        {
            var segs = decoded[c.Id];
            // Each segment lasts until the next one starts; the last until the chunk ends.
            var timed = new List<(string Word, double Start, double End)>(segs.Count);
            for (var i = 0; i < segs.Count; i++)
            {
                var endFrame = i + 1 < segs.Count ? segs[i + 1].StartFrame : c.Frames;
                timed.Add((segs[i].Word, c.Start + segs[i].StartFrame * FrameSeconds, c.Start + endFrame * FrameSeconds));
            }
            var spoken = timed.Where(t => t.Word.StartsWith(PhoneWordPrefix, StringComparison.Ordinal)).ToList();
            var said = spoken.Select(t => t.Word[PhoneWordPrefix.Length..].ToUpperInvariant()).ToList();
            if (!said.SequenceEqual(c.Phones))
                throw StepFailure.Permanent($"paragraph {c.Paragraph}: pocketsphinx stopped after {said.Count} of its {c.Phones.Count} phones; " +
                    "the audio does not say this paragraph's text to its end");

            int next = 0;
            var phoneWord = new int[spoken.Count];
            var wordIndex = new List<int>(c.Words.Count);
            foreach (var w in c.Words)
            {
                var n = w.Pronunciation.Phones.Count;
                wordIndex.Add(words.Count);
                if (n == 0)
                {
                    // No phones to find: placed in the gap after the previous word, and marked as estimated.
                    var at = next > 0 ? spoken[next - 1].End : c.Start;
                    words.Add(new AlignedWord(w.Text, at, at, c.Paragraph, w.Pronunciation.Source, Estimated: true));
                    continue;
                }
                for (var k = 0; k < n; k++) phoneWord[next + k] = words.Count;
                words.Add(new AlignedWord(w.Text, spoken[next].Start, spoken[next + n - 1].End, c.Paragraph, w.Pronunciation.Source));
                next += n;
            }
            int s = 0;
            foreach (var t in timed)
            {
                if (t.Word.StartsWith(PhoneWordPrefix, StringComparison.Ordinal))
                {
                    phones.Add(new AlignedPhone(spoken[s].Word[PhoneWordPrefix.Length..].ToUpperInvariant(), t.Start, t.End, phoneWord[s]));
                    s++;
                }
                // Fillers (<sil>, noises) are pauses; the grammar's empty transitions print as (NULL) and take no time.
                else if (t.Word != "(NULL)" && t.End > t.Start)
                    phones.Add(new AlignedPhone(PhoneTrack.Silence, t.Start, t.End, -1));
            }
        }
        return new PhoneTrack(Name, duration, words, phones);
    }
}
