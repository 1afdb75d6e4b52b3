using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace NiusTv.Steps.Speech;

/// <summary>espeak-ng through libespeak-ng.so.1, in process: the fallback where Festival is not installed.
/// Its formant voice is hard to listen to (TOOLCHAIN.md §1) but it is fast and its phoneme events give
/// timings from the same synthesis that produces the samples.</summary>
public sealed class EspeakSynthesizer : ISpeechSynthesizer
{
    public const string BackendName = "espeak-ng";

    private readonly string _voice;

    /// <param name="voice">espeak-ng voice (language) name.</param>
    public EspeakSynthesizer(string voice = "en-us") => _voice = voice;

    public string Name => BackendName;

    /// <summary>espeak-ng's en-us voice is a male formant voice.</summary>
    public VoiceInfo Voice => new(BackendName, "en-US", "male", BackendName);

    public bool IsAvailable => EspeakLibrary.TryInitialize(out _);

    public Task<SpeechResult> SynthesizeAsync(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct,
        IProgress<double>? progress = null, Phonemes.PronunciationSet? pronunciations = null)
    {
        // The library call blocks for the whole synthesis, so it runs off the caller's thread.
        return Task.Run(() => Synthesize(paragraphs, wavPath, ct, progress, pronunciations ?? Phonemes.PronunciationSet.Empty), ct);
    }

    private SpeechResult Synthesize(IReadOnlyList<string> paragraphs, string wavPath, CancellationToken ct, IProgress<double>? progress,
        Phonemes.PronunciationSet pronunciations)
    {
        var clock = Stopwatch.StartNew();
        var texts = paragraphs.Select((p, i) => (Index: i, Text: SpeechAssembly.StripControl(p)))
            .Where(p => p.Text.Length > 0).ToList();
        if (texts.Count == 0) throw StepFailure.Permanent("there is no text to speak: every paragraph is empty");
        if (!EspeakLibrary.TryInitialize(out int rate))
            throw StepFailure.Retryable("espeak-ng is not usable on this node: libespeak-ng.so.1 or its data is missing (apt-get install libespeak-ng1)");

        var result = new List<ParagraphSpeech>();
        for (int n = 0; n < texts.Count; n++)
        {
            var (index, text) = texts[n];
            // Words with an editor's pronunciation go in as phonemes ([[r'u:'i:s]]); the word events then point at
            // those, and the words they stand for are put back in order.
            // Phoneme input is switched on only then, and brackets the story itself holds are split first, so a script
            // cannot smuggle phonemes in.
            var replaced = new List<string>();
            var said = pronunciations.Count > 0
                ? pronunciations.Substitute(text.Replace("[[", "[ [", StringComparison.Ordinal).Replace("]]", "] ]", StringComparison.Ordinal), Phonemes.PronunciationSet.ToEspeak, replaced)
                : text;
            var capture = EspeakLibrary.Speak(said, _voice, ct, phonemeInput: replaced.Count > 0);
            result.Add(ToParagraph(index, said, capture, rate, new Queue<string>(replaced)));
            progress?.Report(0.95 * (n + 1) / texts.Count);
        }
        var timings = SpeechAssembly.Assemble(BackendName, rate, result, wavPath);
        progress?.Report(1.0);
        return new SpeechResult(timings, wavPath, clock.Elapsed);
    }

    private static ParagraphSpeech ToParagraph(int index, string text, EspeakLibrary.Capture capture, int rate, Queue<string> replaced)
    {
        var samples = capture.Samples.ToArray();
        double length = (double)samples.Length / rate;
        // espeak counts text positions in characters (code points), from 1.
        var codePointStarts = new List<int>();
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1) codePointStarts.Add(i);
        codePointStarts.Add(text.Length);

        var words = new List<string>();
        var phones = new List<LocalPhone>();
        int currentWord = -1, currentSpan = -1;
        var phonemeSpans = new List<(int Start, int End)>();
        for (int open = text.IndexOf("[[", StringComparison.Ordinal); open >= 0; open = text.IndexOf("[[", open + 2, StringComparison.Ordinal))
        {
            var close = text.IndexOf("]]", open, StringComparison.Ordinal);
            phonemeSpans.Add((open, close < 0 ? text.Length : close + 2));
        }
        var events = capture.Events;
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Type == EspeakLibrary.EventWord)
            {
                // espeak reports several word events inside one [[phoneme input]] (at stress marks and long
                // vowels): the first stands for the word it replaced, the others continue it.
                var at = codePointStarts[Math.Clamp(e.TextPosition - 1, 0, codePointStarts.Count - 1)];
                var span = phonemeSpans.FindIndex(sp => sp.Start <= at && at < sp.End);
                if (span >= 0)
                {
                    if (span == currentSpan) continue;
                    currentSpan = span;
                    words.Add(replaced.Count > 0 ? replaced.Dequeue().ToLowerInvariant() : WordAt(text, codePointStarts, e.TextPosition, e.Length));
                }
                else
                {
                    currentSpan = -1;
                    words.Add(WordAt(text, codePointStarts, e.TextPosition, e.Length));
                }
                currentWord = words.Count - 1;
            }
            else if (e.Type == EspeakLibrary.EventPhoneme)
            {
                // Events mark where a phoneme starts; it lasts until the next one, the last until the audio ends.
                double start = Math.Min(e.AudioPositionMs / 1000.0, length);
                if (phones.Count > 0)
                {
                    var prev = phones[^1];
                    start = Math.Max(start, prev.Start);
                    phones[^1] = prev with { End = start };
                }
                // "_" and "_:" are espeak's pauses; they belong to no word.
                bool pause = e.Name.StartsWith('_');
                phones.Add(new LocalPhone(e.Name, start, length, pause ? -1 : currentWord));
            }
        }
        return new ParagraphSpeech(index, samples, phones, words);
    }

    private static string WordAt(string text, List<int> codePointStarts, int position, int length)
    {
        int last = codePointStarts.Count - 1;
        int from = Math.Clamp(position - 1, 0, last);
        int start = codePointStarts[from];
        while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
        int end = length > 0 ? codePointStarts[Math.Clamp(from + length, from, last)] : start;
        // espeak reports length 0 for a word right after an opening quote ("“agreed”"); the word then runs
        // to the next space.
        if (end <= start) end = text.IndexOf(' ', start) is var space and >= 0 ? space : text.Length;
        var raw = text[start..end];
        // Quotes and commas next to a word are not part of it; a token of punctuation only stays as it is.
        var trimmed = raw.Trim().Trim('"', '\'', ',', '.', ';', ':', '!', '?', '(', ')', '\u201C', '\u201D', '\u2018', '\u2019');
        return (trimmed.Length > 0 ? trimmed : raw.Trim()).ToLowerInvariant();
    }
}

/// <summary>The process-global libespeak-ng: one voice, one callback and one synthesis at a time, so every
/// use goes through <see cref="Gate"/>.</summary>
internal static class EspeakLibrary
{
    private const string Lib = "libespeak-ng.so.1";

    // speak_lib.h (API revision 12, espeak-ng 1.51).
    private const int AudioOutputSynchronous = 2;
    private const int InitializePhonemeEvents = 0x0001;
    private const int InitializeDontExit = 0x8000; // without it a missing data directory calls exit() and takes the node down
    private const int PosCharacter = 1;
    private const uint CharsUtf8 = 1;
    private const uint Phonemes = 0x100;
    private const uint EndPause = 0x1000;
    public const int EventWord = 1;
    public const int EventPhoneme = 7;
    private const int EventListTerminated = 0;

    /// <summary>espeak_EVENT. On LP64: type, unique_identifier, text_position, length, audio_position,
    /// sample (6 ints = 24 bytes), user_data at 24, the 8-byte id union at 32; 40 bytes in all.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct EspeakEvent
    {
        public int Type;
        public uint UniqueIdentifier;
        public int TextPosition;
        public int Length;
        public int AudioPosition;
        public int Sample;
        public IntPtr UserData;
        public fixed byte Id[8];
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SynthCallback(IntPtr wav, int numSamples, IntPtr events);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    private static extern int espeak_Initialize(int output, int bufLength, IntPtr path, int options);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    private static extern void espeak_SetSynthCallback(SynthCallback callback);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    private static extern int espeak_SetVoiceByName([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    private static extern int espeak_Synth(byte[] text, nuint size, uint position, int positionType, uint endPosition,
        uint flags, IntPtr uniqueIdentifier, IntPtr userData);

    [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
    private static extern int espeak_Synchronize();

    private static readonly Lock Gate = new();

    // The library keeps the raw function pointer; this field keeps the delegate behind it from being collected.
    private static readonly SynthCallback Callback = OnSynth;

    private static bool _initialized;
    private static int _sampleRate;
    private static string? _initError;
    private static Capture? _current;

    public sealed record Event(int Type, int TextPosition, int Length, int AudioPositionMs, string Name);

    public sealed class Capture(CancellationToken ct)
    {
        public List<short> Samples { get; } = [];
        public List<Event> Events { get; } = [];
        public CancellationToken Ct { get; } = ct;
        public Exception? Error { get; set; }
    }

    public static bool TryInitialize(out int sampleRate)
    {
        lock (Gate)
        {
            if (!_initialized && _initError is null)
            {
                try
                {
                    if (Marshal.SizeOf<EspeakEvent>() != (IntPtr.Size == 8 ? 40 : 36))
                        throw new PlatformNotSupportedException($"espeak_EVENT is {Marshal.SizeOf<EspeakEvent>()} bytes here");
                    int rate = espeak_Initialize(AudioOutputSynchronous, 0, IntPtr.Zero, InitializePhonemeEvents | InitializeDontExit);
                    if (rate <= 0) throw new InvalidOperationException($"espeak_Initialize returned {rate}");
                    espeak_SetSynthCallback(Callback);
                    _sampleRate = rate;
                    _initialized = true;
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException
                                              or InvalidOperationException or PlatformNotSupportedException)
                {
                    // Remembered so that every probe does not retry a library that is simply not there.
                    _initError = e.Message;
                }
            }
            sampleRate = _sampleRate;
            return _initialized;
        }
    }

    /// <param name="phonemeInput">Read <c>[[…]]</c> as espeak phoneme mnemonics (espeakPHONEMES).</param>
    public static Capture Speak(string text, string voice, CancellationToken ct, bool phonemeInput = false)
    {
        lock (Gate)
        {
            if (!_initialized) throw new InvalidOperationException("espeak-ng is not initialized");
            if (espeak_SetVoiceByName(voice) != 0)
                throw StepFailure.Permanent($"espeak-ng has no voice '{voice}' on this node");
            var capture = new Capture(ct);
            _current = capture;
            try
            {
                var bytes = Encoding.UTF8.GetBytes(text + "\0");
                // ENDPAUSE: every paragraph ends with the pause a sentence end gets, like Festival's final pau.
                int err = espeak_Synth(bytes, (nuint)bytes.Length, 0, PosCharacter, 0, CharsUtf8 | EndPause | (phonemeInput ? Phonemes : 0), IntPtr.Zero, IntPtr.Zero);
                if (err != 0) throw StepFailure.Retryable($"espeak_Synth failed with code {err}");
                err = espeak_Synchronize();
                if (err != 0) throw StepFailure.Retryable($"espeak_Synchronize failed with code {err}");
            }
            finally
            {
                _current = null;
            }
            ct.ThrowIfCancellationRequested();
            if (capture.Error is not null) throw StepFailure.Retryable($"espeak-ng callback failed: {capture.Error.Message}", capture.Error);
            return capture;
        }
    }

    private static unsafe int OnSynth(IntPtr wav, int numSamples, IntPtr events)
    {
        // An exception must not unwind into C; it is kept and reported after the call returns.
        var capture = _current;
        if (capture is null) return 1;
        try
        {
            if (capture.Ct.IsCancellationRequested) return 1; // non-zero aborts the synthesis
            if (wav != IntPtr.Zero && numSamples > 0)
                capture.Samples.AddRange(new ReadOnlySpan<short>((void*)wav, numSamples));
            for (var e = (EspeakEvent*)events; e != null && e->Type != EventListTerminated; e++)
            {
                if (e->Type is not (EventWord or EventPhoneme)) continue;
                string name = "";
                if (e->Type == EventPhoneme)
                {
                    // Zero-terminated unless the mnemonic fills all 8 bytes.
                    var id = new ReadOnlySpan<byte>(e->Id, 8);
                    int len = id.IndexOf((byte)0);
                    name = Encoding.UTF8.GetString(len < 0 ? id : id[..len]);
                }
                capture.Events.Add(new Event(e->Type, e->TextPosition, e->Length, e->AudioPosition, name));
            }
            return 0;
        }
        catch (Exception ex)
        {
            capture.Error = ex;
            return 1;
        }
    }
}
