using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using NiusTv.Steps;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Xunit;
using NiusTv.Steps.Tools;

namespace NiusTv.Tests.Phonemes;

/// <summary>A loopback HTTP server that answers like gentle's <c>POST /transcriptions?async=false</c>: the
/// transcript's words with character offsets, <c>case</c>, times and phones with position suffixes. It records
/// what it received.</summary>
internal sealed class FakeGentle : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, string Query, string ContentType, Dictionary<string, (string? FileName, byte[] Body)> Fields);

    public List<Received> Requests { get; } = [];
    public Uri Url { get; }
    public Func<string, string> Answer { get; init; } = _ => "{}";
    public TimeSpan Delay { get; init; }

    public FakeGentle()
    {
        Url = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var contentType = context.Request.ContentType ?? "";
            var fields = Multipart(contentType, body.ToArray());
            lock (Requests) Requests.Add(new Received(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Url.Query, contentType, fields));
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            var transcript = fields.TryGetValue("transcript", out var t) ? Encoding.UTF8.GetString(t.Body) : "";
            var answer = Encoding.UTF8.GetBytes(Answer(transcript));
            context.Response.ContentType = "application/json";
            try
            {
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
            catch (Exception) { } // the client gave up (the timeout test)
        }
    }

    /// <summary>Just enough multipart/form-data parsing to see the fields: parts between boundary lines, each
    /// with headers, a blank line and the body.</summary>
    private static Dictionary<string, (string? FileName, byte[] Body)> Multipart(string contentType, byte[] body)
    {
        var fields = new Dictionary<string, (string? FileName, byte[] Body)>();
        var m = Regex.Match(contentType, "boundary=\"?([^\";]+)\"?");
        if (!m.Success) return fields;
        var text = Encoding.Latin1.GetString(body); // one char per byte, so the audio survives the round trip
        foreach (var part in text.Split("--" + m.Groups[1].Value))
        {
            var split = part.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (split < 0) continue;
            var headers = part[..split];
            var name = Regex.Match(headers, "name=\"?([^\";\r\n]+)\"?");
            if (!name.Success) continue;
            var file = Regex.Match(headers, "filename=\"?([^\";\r\n]+)\"?");
            var content = part[(split + 4)..];
            if (content.EndsWith("\r\n", StringComparison.Ordinal)) content = content[..^2];
            fields[name.Groups[1].Value] = (file.Success ? file.Groups[1].Value : null, Encoding.Latin1.GetBytes(content));
        }
        return fields;
    }

    public void Dispose()
    {
        // Close alone: the managed HttpListener's Stop() already unregisters the port, and a Close() after it looks the
        // port up again, binding it anew, which fails when another test has taken that port meanwhile (CI saw it).
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}

public sealed class GentleAlignerTests : IDisposable
{
    private readonly TempFolder _workspace = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _workspace.Dispose();

    private static readonly string[] Written = ["Dr. Ruiz spoke in 2019.", "", "The bridge opens soon."];
    private const string ExpectedTranscript = "doctor Ruiz spoke in twenty nineteen.\n\nThe bridge opens soon.";
    private static readonly HashSet<string> Unheard = ["twenty", "nineteen"];

    /// <summary>Gentle's answer for a transcript: every word 0.4 s apart from 1.0 s, phones from the CMU
    /// dictionary with gentle's position suffixes, and the words of <see cref="Unheard"/> not found.</summary>
    private static string GentleJson(string transcript)
    {
        var pronouncer = new TestPronouncer();
        var words = new List<object>();
        var t = 1.0;
        foreach (Match m in Regex.Matches(transcript, @"[A-Za-z']+"))
        {
            var word = m.Value;
            if (Unheard.Contains(word.ToLowerInvariant()))
            {
                words.Add(new Dictionary<string, object> { ["case"] = "not-found-in-audio", ["word"] = word, ["startOffset"] = m.Index, ["endOffset"] = m.Index + m.Length });
                t += 0.4;
                continue;
            }
            var phones = pronouncer.Pronounce(word.ToLowerInvariant()).Phones;
            var duration = 0.3 / phones.Count;
            var gentlePhones = phones.Select((p, i) => new Dictionary<string, object>
            {
                ["phone"] = p.ToLowerInvariant() + (phones.Count == 1 ? "_S" : i == 0 ? "_B" : i == phones.Count - 1 ? "_E" : "_I"),
                ["duration"] = duration,
            }).ToList();
            words.Add(new Dictionary<string, object>
            {
                ["alignedWord"] = word.ToLowerInvariant(), ["case"] = "success", ["start"] = t, ["end"] = t + 0.3,
                ["startOffset"] = m.Index, ["endOffset"] = m.Index + m.Length, ["word"] = word, ["phones"] = gentlePhones,
            });
            t += 0.4;
        }
        return JsonSerializer.Serialize(new { transcript, words });
    }

    private StepInput Workspace()
    {
        // A WAV and timings as a synthesizer without phone timings (Tacotron2) would leave them.
        new WaveFile(22050, new short[22050 * 6]).Write(_workspace.Combine(NiusTv.Steps.Artifacts.Speech.Name));
        new SpeechTimings("tacotron2", 22050, 6.0, [new ParagraphSpan(0, 0.9, 3.4), new ParagraphSpan(2, 3.5, 5.0)], [], [])
            .Save(_workspace.Combine(NiusTv.Steps.Artifacts.Timings.Name));
        var story = new Story("bridge", "Bridge", Written, [], "default", "default", StoryPriority.Normal, StoryOutput.LocalDefault);
        return new StepInput(story, 1, _workspace.Path, new Dictionary<string, string>
        {
            [NiusTv.Steps.Artifacts.Speech.Name] = NiusTv.Steps.Artifacts.Speech.Name,
            [NiusTv.Steps.Artifacts.Timings.Name] = NiusTv.Steps.Artifacts.Timings.Name,
        });
    }

    [Fact]
    public async Task Phonemes_step_sends_the_wav_and_transcript_and_writes_gentles_phones()
    {
        using var gentle = new FakeGentle { Answer = GentleJson };
        using var aligner = new GentleAligner(gentle.Url);
        var pronouncer = new TestPronouncer();
        var step = new PhonemesStep([new SynthesizerAligner(), aligner], pronouncer, "gentle");
        var output = await step.RunAsync(Workspace(), new ProgressLog(), Ct);

        Assert.Equal("gentle", output.Backend);
        Assert.Equal(NiusTv.Steps.Artifacts.Phones.Name, output.Artifacts["phones.json"]);
        var request = Assert.Single(gentle.Requests);
        Assert.Equal(("POST", "/transcriptions", "?async=false"), (request.Method, request.Path, request.Query));
        Assert.StartsWith("multipart/form-data", request.ContentType);
        Assert.Equal(File.ReadAllBytes(_workspace.Combine(NiusTv.Steps.Artifacts.Speech.Name)), request.Fields["audio"].Body);
        Assert.Equal("speech.wav", request.Fields["audio"].FileName);
        Assert.Equal(ExpectedTranscript, Encoding.UTF8.GetString(request.Fields["transcript"].Body));
        Assert.Empty(pronouncer.Asked); // gentle has its own lexicon

        var track = PhoneTrack.Load(_workspace.Combine(NiusTv.Steps.Artifacts.Phones.Name));
        Assert.Equal("gentle", track.Aligner);
        Assert.Equal(6.0, track.Duration);
        Assert.Equal(["doctor", "ruiz", "spoke", "in", "twenty", "nineteen", "the", "bridge", "opens", "soon"], track.Words.Select(w => w.Text));
        Assert.Equal([0, 0, 0, 0, 0, 0, 2, 2, 2, 2], track.Words.Select(w => w.Paragraph));
        Assert.All(track.Words, w => Assert.Null(w.Source));

        // The two unheard words are kept, marked, and share the time between "in" (ends 2.5 s) and "the" (starts 3.4 s).
        Assert.Equal([false, false, false, false, true, true, false, false, false, false], track.Words.Select(w => w.Estimated));
        Assert.Equal((2.5, 2.95), (Math.Round(track.Words[4].Start, 6), Math.Round(track.Words[4].End, 6)));
        Assert.Equal((2.95, 3.4), (Math.Round(track.Words[5].Start, 6), Math.Round(track.Words[5].End, 6)));
        Assert.DoesNotContain(track.Phones, p => p.Word is 4 or 5);

        // Phones lose gentle's position suffix and follow each other from the word's start by their durations.
        var doctor = track.Phones.Where(p => p.Word == 0).ToList();
        Assert.Equal(["D", "AA", "K", "T", "ER"], doctor.Select(p => p.Phone));
        Assert.Equal(1.0, doctor[0].Start, 6);
        for (var i = 0; i < doctor.Count; i++)
        {
            Assert.Equal(1.0 + 0.06 * i, doctor[i].Start, 6);
            Assert.Equal(1.0 + 0.06 * (i + 1), doctor[i].End, 6);
        }
        Assert.Equal(["R", "UW", "IY", "Z"], track.Phones.Where(p => p.Word == 1).Select(p => p.Phone));
        Assert.Equal(["B", "R", "IH", "JH"], track.Phones.Where(p => p.Word == 7).Select(p => p.Phone));
        Assert.Equal(3.8, track.Phones.First(p => p.Word == 7).Start, 6);
    }

    [Fact]
    public async Task The_registered_step_asks_gentle_through_the_nodes_named_http_client()
    {
        using var gentle = new FakeGentle { Answer = GentleJson };
        var sent = new List<Uri?>();
        var services = new ServiceCollection();
        services.AddSingleton<IPronouncer>(new TestPronouncer());
        services.AddPhonemesStep(new PhonemesStepOptions { Aligner = "gentle", GentleUrl = gentle.Url.ToString() });
        // A handler added to the named client sees the request only if the aligner's client came from the factory.
        services.AddHttpClient(GentleAligner.ClientName).AddHttpMessageHandler(() => new RecordingHandler(sent));
        await using var provider = services.BuildServiceProvider();

        var output = await Assert.Single(provider.GetServices<IStoryStep>()).RunAsync(Workspace(), new ProgressLog(), Ct);

        Assert.Equal("gentle", output.Backend);
        Assert.Single(gentle.Requests);
        Assert.Equal(new Uri(gentle.Url, "transcriptions?async=false"), Assert.Single(sent));
    }

    private sealed class RecordingHandler(List<Uri?> sent) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            lock (sent) sent.Add(request.RequestUri);
            return base.SendAsync(request, ct);
        }
    }

    [Fact]
    public async Task A_refused_connection_is_a_transient_failure_naming_the_url()
    {
        var url = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/");
        using var aligner = new GentleAligner(url);
        var step = new PhonemesStep([aligner], new TestPronouncer(), "gentle");
        var failure = await Assert.ThrowsAsync<StepFailure>(() => step.RunAsync(Workspace(), new ProgressLog(), Ct));
        Assert.True(failure.Transient);
        Assert.Contains(url.ToString(), failure.Message);
        Assert.Contains("refused", failure.Message);
        Assert.False(File.Exists(_workspace.Combine(NiusTv.Steps.Artifacts.Phones.Name)));
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_is_a_transient_failure()
    {
        using var gentle = new FakeGentle { Answer = GentleJson, Delay = TimeSpan.FromSeconds(5) };
        using var aligner = new GentleAligner(gentle.Url) { BaseTimeout = TimeSpan.FromSeconds(0.5), TimeoutPerAudioSecond = TimeSpan.Zero };
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new PhonemesStep([aligner], new TestPronouncer(), "gentle")
            .RunAsync(Workspace(), new ProgressLog(), Ct));
        Assert.True(failure.Transient);
        Assert.Contains("did not answer within", failure.Message);
    }

    [Fact]
    public async Task An_answer_that_is_not_gentles_json_says_so()
    {
        using var gentle = new FakeGentle { Answer = _ => "<html>proxy error</html>" };
        using var aligner = new GentleAligner(gentle.Url);
        var failure = await Assert.ThrowsAsync<StepFailure>(() => new PhonemesStep([aligner], new TestPronouncer(), "gentle")
            .RunAsync(Workspace(), new ProgressLog(), Ct));
        Assert.Contains("proxy error", failure.Message);
    }
}
