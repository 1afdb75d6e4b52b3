using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Storage;

namespace NiusTv.Host.Node;

/// <summary>The one place that picks a backend for each step from the node's settings. Actors never see this:
/// they get <see cref="IStoryStep"/>s.</summary>
public static class StepBackends
{
    public static IReadOnlyList<IStoryStep> Create(NodeSettings settings)
    {
        var gcs = new Lazy<Google.Cloud.Storage.V1.StorageClient>(() => GcsClients.Create(settings.StorageEndpoint));
        IAssetStore assets;
        if (IsGcs(settings.Assets))
        {
            var (bucket, prefix) = Location("--assets", settings.Assets);
            if (prefix.Length > 0)
                throw new SettingsException("--assets", $"'{settings.Assets}': assets come from a whole bucket (gs://BUCKET); story uris carry the paths");
            assets = new GcsAssetStore(gcs.Value, bucket);
        }
        else assets = new LocalFolderAssetStore(settings.AssetsLocation);
        IVideoStore videos;
        if (IsGcs(settings.Out))
        {
            var (bucket, prefix) = Location("--out", settings.Out);
            videos = new GcsVideoStore(gcs.Value, bucket, prefix);
        }
        else videos = new LocalFolderVideoStore(settings.OutLocation);
        return
        [
            new InitStep(assets),
            new SpeechStep(SpeechBackends(settings.SpeechBackend)),
            Phonemes(settings),
            new ComposeStep(new ComposeOptions { TitleCardSeconds = settings.TitleCardSeconds, Preset = settings.X264Preset }),
            new PublishStep(videos),
        ];
    }

    private static bool IsGcs(string location) => NodeSettings.IsGcs(location);

    private static (string Bucket, string Prefix) Location(string option, string value)
    {
        try { return GcsClients.ParseLocation(value); }
        catch (ArgumentException e) { throw new SettingsException(option, e.Message); }
    }

    /// <summary>The synthesizer's own timings and pocketsphinx always; gentle when the node has its address.
    /// The pronouncer is the CMU dictionary alone until the full one (lexicon, dictionary, g2p model) replaces it.</summary>
    private static PhonemesStep Phonemes(NodeSettings settings)
    {
        var choice = settings.PhonemesAligner;
        if (choice is not ("auto" or SynthesizerAligner.AlignerName or PocketsphinxAligner.AlignerName or GentleAligner.AlignerName))
            throw new SettingsException("Phonemes:Aligner", $"'{choice}' is not an aligner: use auto, synthesizer, pocketsphinx or gentle");
        var aligners = new List<IAligner> { new SynthesizerAligner(), new PocketsphinxAligner() };
        if (settings.GentleUrl is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new SettingsException("Phonemes:GentleUrl", $"'{url}' is not an http(s) address, e.g. http://127.0.0.1:8765");
            aligners.Add(new GentleAligner(uri));
        }
        else if (choice == GentleAligner.AlignerName)
            throw new SettingsException("Phonemes:GentleUrl", "Phonemes:Aligner is gentle, so the address of the gentle server is needed, e.g. http://127.0.0.1:8765");
        IPronouncer pronouncer;
        try { pronouncer = DictionaryOnlyPronouncer.Load(); }
        catch (IOException e) { throw new SettingsException("Phonemes", e.Message); }
        return new PhonemesStep(aligners, pronouncer, choice);
    }

    /// <summary>Festival first (HTS voice, with phone timings); espeak-ng when Festival is missing or when asked for.</summary>
    private static IReadOnlyList<ISpeechSynthesizer> SpeechBackends(string choice) => choice switch
    {
        "auto" or "" => [new FestivalSynthesizer(), new EspeakSynthesizer()],
        "festival" => [new FestivalSynthesizer()],
        "espeak-ng" or "espeak" => [new EspeakSynthesizer()],
        _ => throw new SettingsException("Speech:Backend", $"'{choice}' is not a speech backend: use auto, festival or espeak-ng"),
    };
}
