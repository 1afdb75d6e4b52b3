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
            new ComposeStep(new ComposeOptions { TitleCardSeconds = settings.TitleCardSeconds, Preset = settings.X264Preset }),
            new PublishStep(videos),
        ];
    }

    /// <summary>The node's one pronouncer (user lexicon → CMU dictionary → neural g2p), loaded when the node starts
    /// so a missing or corrupt lexicon, dictionary or model is a start-up error naming the file and its setting, not
    /// a failed story later. NodeHost registers it as the <see cref="IPronouncer"/> singleton for the steps.</summary>
    public static Pronouncer CreatePronouncer(NodeSettings settings)
    {
        UserLexicon lexicon;
        try { lexicon = settings.PhonemesLexicon is { } path ? UserLexicon.Load(path) : UserLexicon.Empty; }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException) { throw new SettingsException("Phonemes:Lexicon", e.Message); }
        CmuDictionary dictionary;
        try { dictionary = CmuDictionary.Load(settings.PhonemesDictionary ?? CmuDictionary.DebianPath); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException) { throw new SettingsException("Phonemes:Dictionary", e.Message); }
        try { return new Pronouncer(lexicon, dictionary, G2pModel.Load(settings.PhonemesModel ?? G2pLocations.DefaultModelFolder())); }
        catch (G2pModelException e) { throw new SettingsException("Phonemes:Model", e.Message); }
    }

    private static bool IsGcs(string location) => NodeSettings.IsGcs(location);

    private static (string Bucket, string Prefix) Location(string option, string value)
    {
        try { return GcsClients.ParseLocation(value); }
        catch (ArgumentException e) { throw new SettingsException(option, e.Message); }
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
