using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NiusTv.Host.Cli;
using NiusTv.Steps;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Stories;
using Spectre.Console;

namespace NiusTv.Host.Bench;

/// <summary>`nius bench speech`: how intelligible each installed voice is. Every sample story is spoken with every
/// voice (through the speech step, so text normalization and pronunciations apply), the audio is decoded by pocketsphinx
/// with its default US English acoustic and language models (free decoding, no grammar), and the words heard are
/// scored against the script's normalized words: word accuracy = 1 − WER.</summary>
public static class SpeechBench
{
    public sealed record StoryScore(string Story, int Words, int Correct, int Substitutions, int Deletions, int Insertions,
        double Accuracy, double AudioSeconds, double SynthesisSeconds, double DecodeSeconds, string Heard);

    public sealed record VoiceScore(string Voice, string Gender, string Backend, int Words, int Correct, int Substitutions, int Deletions,
        int Insertions, double Accuracy, double Correctness, IReadOnlyList<StoryScore> Stories);

    public sealed record Report(string Machine, int Cores, double LoadBefore, double LoadAfter, string Decoder, IReadOnlyList<VoiceScore> Voices);

    public static Command Command()
    {
        var stories = new Option<string?>("--stories") { Description = "folder of story JSON files (default samples/stories)" };
        var voices = new Option<string[]>("--voice") { Description = "only these voices (default: every installed voice)", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("speech", "word accuracy of each installed voice: the sample stories spoken, decoded by pocketsphinx (free decoding), scored against the script")
            { stories, voices, CommonOptions.Json };
        cmd.SetAction(async (r, ct) =>
        {
            var home = Environment.GetEnvironmentVariable("NIUSTV_HOME") ?? Environment.CurrentDirectory;
            var storyDir = r.GetValue(stories) ?? (Directory.Exists("samples/stories") ? "samples/stories" : Path.Combine(home, "samples", "stories"));
            var json = r.GetValue(CommonOptions.Json);
            var parsed = new List<Story>();
            foreach (var file in Directory.GetFiles(storyDir, "*.json").Order(StringComparer.Ordinal))
            {
                var result = StoryParser.Parse(await File.ReadAllBytesAsync(file, ct));
                if (!result.IsValid) throw new CliException($"{file}: {string.Join("; ", result.Errors)}");
                parsed.Add(result.Story!);
            }
            if (parsed.Count == 0) throw new CliException($"{storyDir} holds no story (*.json)");
            var chosen = r.GetValue(voices) ?? [];
            var report = await MeasureAsync(parsed, SpeechStep.DefaultBackends().Where(b => chosen.Length == 0 || chosen.Contains(b.Voice.Name)).ToList(),
                json ? null : line => Console.Error.WriteLine(line), ct);
            if (json) Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
            else
            {
                var table = new Table().AddColumns("voice", "gender", "backend", "words", "right", "sub", "del", "ins", "word accuracy");
                foreach (var v in report.Voices)
                    table.AddRow(v.Voice, v.Gender, v.Backend, v.Words.ToString(), v.Correct.ToString(), v.Substitutions.ToString(), v.Deletions.ToString(),
                        v.Insertions.ToString(), $"{v.Accuracy:P1} ({v.Correctness:P1} of words heard)");
                AnsiConsole.Write(table);
                Console.WriteLine($"{parsed.Count} stories; pocketsphinx {report.Decoder}; load average {report.LoadBefore:0.00} before, {report.LoadAfter:0.00} after; {report.Cores} cores ({report.Machine})");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>Speaks every story with every available voice and scores pocketsphinx's free decode of it.</summary>
    public static async Task<Report> MeasureAsync(IReadOnlyList<Story> stories, IReadOnlyList<ISpeechSynthesizer> voices, Action<string>? log, CancellationToken ct)
    {
        var recognizer = new SpeechRecognizer();
        if (!recognizer.IsAvailable) throw new CliException("bench speech needs pocketsphinx, pocketsphinx-en-us and ffmpeg (scripts/setup installs them)");
        var loadBefore = LoadAverage();
        var scratch = Directory.CreateTempSubdirectory("nius-bench-speech-");
        try
        {
            var results = new List<VoiceScore>();
            foreach (var synthesizer in voices.Where(v => v.IsAvailable))
            {
                var step = new SpeechStep([synthesizer]);
                var scores = new List<StoryScore>();
                foreach (var story in stories)
                {
                    var workspace = Directory.CreateDirectory(Path.Combine(scratch.FullName, synthesizer.Voice.Name, story.Id)).FullName;
                    var clock = Stopwatch.StartNew();
                    await step.RunAsync(new StepInput(story, 1, workspace, new Dictionary<string, string>()), new Progress<double>(), ct);
                    var synthesis = clock.Elapsed.TotalSeconds;
                    var wav = Path.Combine(workspace, Artifacts.Speech);
                    clock.Restart();
                    var heard = await recognizer.DecodeAsync(wav, ct);
                    var decode = clock.Elapsed.TotalSeconds;
                    var reference = SpeechRecognizer.ReferenceWords(SpeechStep.SpokenParagraphs(story));
                    var score = SpeechRecognizer.Score(reference, heard);
                    var audio = WaveFile.Read(wav).Duration;
                    scores.Add(new StoryScore(story.Id, score.Words, score.Correct, score.Substitutions, score.Deletions, score.Insertions,
                        Math.Round(score.Accuracy, 4), Math.Round(audio, 2), Math.Round(synthesis, 2), Math.Round(decode, 2), string.Join(' ', heard)));
                    log?.Invoke($"bench: {synthesizer.Voice.Name} {story.Id}: {score}");
                }
                int words = scores.Sum(s => s.Words), correct = scores.Sum(s => s.Correct), sub = scores.Sum(s => s.Substitutions),
                    del = scores.Sum(s => s.Deletions), ins = scores.Sum(s => s.Insertions);
                var total = new WordScore(words, correct, sub, del, ins);
                results.Add(new VoiceScore(synthesizer.Voice.Name, synthesizer.Voice.Gender, synthesizer.Voice.Backend, words, correct, sub, del, ins,
                    Math.Round(total.Accuracy, 4), Math.Round(total.Correctness, 4), scores));
            }
            return new Report(Environment.MachineName, Environment.ProcessorCount, loadBefore, LoadAverage(),
                "pocketsphinx_continuous, default en-us acoustic model, language model and dictionary", results);
        }
        finally
        {
            try { scratch.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return double.NaN; }
    }
}
