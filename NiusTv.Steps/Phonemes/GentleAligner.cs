using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace NiusTv.Steps.Phonemes;

/// <summary>A client for gentle's HTTP API, for those who run gentle as a service (the seed's aligner):
/// <c>POST {url}/transcriptions?async=false</c> with the WAV and the transcript as multipart form fields
/// <c>audio</c> and <c>transcript</c>; the answer lists the transcript's words with <c>case</c>
/// (<c>success</c> or <c>not-found-in-audio</c>), <c>start</c>/<c>end</c> in seconds, character offsets into
/// the transcript and phones with durations (<c>dh_B</c>: phone and position in the word). Gentle uses its own
/// lexicon, so the words' <see cref="AlignedWord.Source"/> is null and the pronouncer is not asked.</summary>
public sealed class GentleAligner : IAligner, IDisposable
{
    public const string AlignerName = "gentle";

    /// <summary>The node's named HttpClient for gentle (IHttpClientFactory).</summary>
    public const string ClientName = "gentle";
    private const string ParagraphSeparator = "\n\n";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="url">gentle's base address, e.g. <c>http://127.0.0.1:8765</c>.</param>
    /// <param name="http">the node's client from IHttpClientFactory, with no timeout of its own; null (tests, tools) makes
    /// one that this aligner owns.</param>
    public GentleAligner(Uri url, HttpClient? http = null)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{url}' is not an http(s) address of a gentle server", nameof(url));
        Url = url;
        _ownsHttp = http is null;
        // The timeout is ours (per request, grown with the audio), not HttpClient's fixed 100 s.
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Url { get; }

    public string Name => AlignerName;

    /// <summary>Time allowed for an answer, plus <see cref="TimeoutPerAudioSecond"/> per second of speech: gentle
    /// decodes the whole file before it answers.</summary>
    public TimeSpan BaseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan TimeoutPerAudioSecond { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether gentle is up cannot be known without asking it; a refused connection is a transient
    /// failure of the step.</summary>
    public bool CanAlign(AlignmentRequest request) => request.Paragraphs.Any(p => !string.IsNullOrWhiteSpace(p));

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed record ParagraphText(int Index, int Start, int End);

    public async Task<PhoneTrack> AlignAsync(AlignmentRequest request, IPronouncer pronouncer, CancellationToken ct)
    {
        if (!File.Exists(request.Wav)) throw StepFailure.Permanent($"{Path.GetFileName(request.Wav)} is missing: the speech step did not write it");
        var (transcript, paragraphs) = Transcript(request.Paragraphs);
        if (paragraphs.Count == 0) throw StepFailure.Permanent("there is nothing to align: every paragraph is empty");

        var endpoint = new Uri(Url, Url.AbsolutePath.TrimEnd('/') + "/transcriptions?async=false");
        using var form = new MultipartFormDataContent();
        var audio = new ByteArrayContent(await File.ReadAllBytesAsync(request.Wav, ct));
        audio.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(audio, "audio", Path.GetFileName(request.Wav));
        form.Add(new StringContent(transcript, Encoding.UTF8), "transcript");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var limit = BaseTimeout + TimeoutPerAudioSecond * request.Timings.Duration;
        timeout.CancelAfter(limit);
        string body;
        try
        {
            using var response = await _http.PostAsync(endpoint, form, timeout.Token);
            body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var message = $"gentle at {Url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Snippet(body)}";
                var code = (int)response.StatusCode;
                throw code >= 500 || code is 408 or 429 ? StepFailure.Retryable(message) : StepFailure.Permanent(message);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw StepFailure.Retryable($"gentle at {Url} did not answer within {limit.TotalSeconds:0} s");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw StepFailure.Retryable($"gentle at {Url} refused the connection: is the gentle server running there? (Phonemes:GentleUrl)", e);
        }
        catch (HttpRequestException e)
        {
            throw StepFailure.Retryable($"gentle at {Url} could not be reached: {e.Message}", e);
        }
        return Parse(body, paragraphs, request);
    }

    /// <summary>The paragraphs that have words, joined by blank lines, with where each lies in the text (gentle's
    /// character offsets tell which paragraph a word belongs to).</summary>
    private static (string Text, List<ParagraphText> Paragraphs) Transcript(IReadOnlyList<string> paragraphs)
    {
        var sb = new StringBuilder();
        var spans = new List<ParagraphText>();
        for (var i = 0; i < paragraphs.Count; i++)
        {
            var text = paragraphs[i].Trim();
            if (text.Length == 0) continue;
            if (sb.Length > 0) sb.Append(ParagraphSeparator);
            spans.Add(new ParagraphText(i, sb.Length, sb.Length + text.Length));
            sb.Append(text);
        }
        return (sb.ToString(), spans);
    }

    private static string Snippet(string body)
    {
        var one = body.ReplaceLineEndings(" ").Trim();
        return one.Length == 0 ? "(empty body)" : one.Length > 300 ? one[..300] + "…" : one;
    }

    private sealed record GentleWord(string Text, int Paragraph, double? Start, double? End, List<(string Phone, double Duration)> Phones);

    private PhoneTrack Parse(string body, List<ParagraphText> paragraphs, AlignmentRequest request)
    {
        var parsed = new List<GentleWord>();
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("words", out var list) || list.ValueKind != JsonValueKind.Array)
                throw StepFailure.Retryable($"gentle at {Url} answered without a 'words' list: {Snippet(body)}");
            var paragraph = paragraphs[0].Index;
            foreach (var w in list.EnumerateArray())
            {
                var text = Text(w, "word") ?? Text(w, "alignedWord") ?? "";
                if (w.TryGetProperty("startOffset", out var so) && so.TryGetInt32(out var offset))
                    paragraph = paragraphs.LastOrDefault(p => p.Start <= offset)?.Index ?? paragraph;
                var success = Text(w, "case") == "success" && Number(w, "start") is not null && Number(w, "end") is not null;
                var phones = new List<(string, double)>();
                if (success && w.TryGetProperty("phones", out var ph) && ph.ValueKind == JsonValueKind.Array)
                    foreach (var p in ph.EnumerateArray())
                        phones.Add((Text(p, "phone") ?? "", Number(p, "duration") ?? 0));
                var word = ScriptWords.Split(text) is [var single] ? single : text.ToLowerInvariant();
                parsed.Add(new GentleWord(word, paragraph, success ? Number(w, "start") : null, success ? Number(w, "end") : null, phones));
            }
        }
        catch (JsonException e)
        {
            throw StepFailure.Retryable($"gentle at {Url} answered with something other than its transcription JSON: {Snippet(body)}", e);
        }

        var words = new List<AlignedWord>(parsed.Count);
        var phonesOut = new List<AlignedPhone>();
        for (var i = 0; i < parsed.Count; i++)
        {
            var g = parsed[i];
            if (g.Start is { } start && g.End is { } end)
            {
                var at = start;
                foreach (var (phone, duration) in g.Phones)
                {
                    // Phones are laid out from the word's start by their durations.
                    var plain = CmuPhones.Plain(phone);
                    if (plain is not null)
                        phonesOut.Add(new AlignedPhone(plain, at, at + duration, plain == PhoneTrack.Silence ? -1 : words.Count));
                    at += duration;
                }
                words.Add(new AlignedWord(g.Text, start, end, g.Paragraph, null));
                continue;
            }
            // A run of words gentle did not hear: spread evenly between the neighbours that it did.
            var runEnd = i;
            while (runEnd < parsed.Count && parsed[runEnd].Start is null) runEnd++;
            var from = words.Count > 0 ? words[^1].End : SpanOf(request, g.Paragraph).Start;
            var to = runEnd < parsed.Count ? parsed[runEnd].Start!.Value : SpanOf(request, parsed[runEnd - 1].Paragraph).End;
            if (to < from) to = from;
            var step = (to - from) / (runEnd - i);
            for (var k = i; k < runEnd; k++)
                words.Add(new AlignedWord(parsed[k].Text, from + step * (k - i), from + step * (k - i + 1), parsed[k].Paragraph, null, Estimated: true));
            i = runEnd - 1;
        }
        return new PhoneTrack(Name, request.Timings.Duration, words, phonesOut);
    }

    private static (double Start, double End) SpanOf(AlignmentRequest request, int paragraph) =>
        request.Timings.Paragraphs.FirstOrDefault(p => p.Index == paragraph) is { } s ? (s.Start, s.End) : (0, request.Timings.Duration);

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
