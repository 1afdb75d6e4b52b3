using NiusTv.Steps.Stories;
using NiusTv.Steps;
using NiusTv.Steps.Compose;
using NiusTv.Steps.Init;
using NiusTv.Steps.Landmarks;
using NiusTv.Steps.Models;
using NiusTv.Steps.Phonemes;
using NiusTv.Steps.Publish;
using NiusTv.Steps.Render;
using NiusTv.Steps.Render.Pix2PixHD;
using NiusTv.Steps.Render.Pix2PixHD.Training;
using NiusTv.Steps.Render.Sketch;
using NiusTv.Steps.Render.Warp;
using NiusTv.Steps.Speech;
using NiusTv.Steps.Speech.Tacotron2;
using NiusTv.Steps.Storage;

namespace NiusTv.Host.Node;

/// <summary>What a node runs: its steps, the models they share, and what the choice of backends is worth telling the
/// operator once at start-up.</summary>
public sealed record NodeBackends(IReadOnlyList<IStoryStep> Steps, ModelRegistry Models, IReadOnlyList<string> StartupNotes,
    IReadOnlyDictionary<string, IRenderer> Renderers, IPronouncer Pronouncer, StoryChoices Choices, SpeechStep Speech,
    PronunciationDictionary Dictionary);

/// <summary>The one place that picks a backend for each step from the node's settings. Actors never see this:
/// they get <see cref="IStoryStep"/>s. Models are loaded here, once per node, before the node joins its cluster: a bad
/// checkpoint stops the start with the reason (<see cref="SettingsException"/>) instead of failing every story.</summary>
public static class StepBackends
{
    /// <param name="admission">The node's GPU admission, for renderers that need the GPU.</param>
    public static NodeBackends Create(NodeSettings settings, IGpuAdmission admission)
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
        var notes = new List<string>();
        var models = new ModelRegistry(settings.ModelDevice);
        try
        {
            var speech = SpeechBackends(settings, models, notes);
            var pronouncer = CreatePronouncer(settings);
            // One library for the landmarks and render steps: each presenter's face is detected once per node.
            var presenters = Presenters(settings);
            var renderers = Renderers(settings, models, presenters);
            var dictionary = PronunciationDictionary.InDataFolder(settings.DataPath);
            // The node's user lexicon under the newsroom dictionary: Festival and the other voices say what the mouth shows.
            var lexicon = pronouncer.Lexicon.ToPronunciations();
            var speechStep = new SpeechStep(speech, () => dictionary.Load().Over(lexicon), presenters.VoiceOf);
            return new NodeBackends(
            [
                new InitStep(assets),
                speechStep,
                Phonemes(settings, pronouncer),
                new LandmarksStep(presenters),
                new RenderStep(Renderer(settings, renderers), presenters, admission, clipRenderer: renderers["footage"]),
                new ComposeStep(new ComposeOptions { TitleCardSeconds = settings.TitleCardSeconds, Preset = settings.X264Preset, LoudnessLufs = settings.OutputLoudness }),
                new PublishStep(videos),
            ], models, notes, renderers, pronouncer, new StoryChoices(() => presenters.Names, () => speechStep.AvailableVoices, presenters.VoiceOf), speechStep, dictionary);
        }
        catch
        {
            models.Dispose();
            throw;
        }
    }

    /// <summary>Checks Models:Device against this libtorch, once, when a model is about to be loaded.</summary>
    private static void EnsureDevice(ModelDevice device)
    {
        try { device.EnsureAvailable(); }
        catch (InvalidOperationException e) { throw new SettingsException("Models:Device", e.Message); }
    }

    /// <summary>The node's presenter profiles. Every profile's manifest and photo are checked here, at start-up, so a
    /// broken profile stops the node with its reason instead of failing stories later; faces are detected lazily,
    /// once per photo (then cached under the data folder).</summary>
    public static PresenterLibrary Presenters(NodeSettings settings)
    {
        var library = new PresenterLibrary(settings.PresentersPath, settings.PresenterCachePath,
            () => new DlibFaceLandmarkDetector(settings.LandmarkModel));
        if (library.Problems() is { Count: > 0 } problems)
            throw new SettingsException("Presenters:Root", string.Join("; ", problems));
        if (!File.Exists(settings.LandmarkModel))
            throw new SettingsException("Landmarks:Model", $"the dlib landmark model {settings.LandmarkModel} is missing (Debian package libdlib-data)");
        return library;
    }

    /// <summary>The renderers this node can run, by name: <c>warp</c> and <c>sketch</c> always; <c>pix2pixhd</c> when a checkpoint is
    /// configured. The checkpoint is loaded here, once per node, so a missing or mismatched one is an error at start-up
    /// naming the setting, not a failure in the middle of a story.</summary>
    public static IReadOnlyDictionary<string, IRenderer> Renderers(NodeSettings settings, ModelRegistry models, PresenterLibrary? presenters = null)
    {
        var renderers = new Dictionary<string, IRenderer>(StringComparer.Ordinal);
        var warp = new WarpRenderer();
        renderers[warp.Name] = warp;
        var sketch = new SketchRenderer();
        renderers[sketch.Name] = sketch;
        renderers["footage"] = new NiusTv.Steps.Render.Footage.FootageRenderer();
        if (settings.Pix2PixHDCheckpoint is { } path)
        {
            Pix2PixHDCheckpoint checkpoint;
            try { checkpoint = Pix2PixHDCheckpoint.Load(path, settings.Pix2PixHDDevice); }
            catch (CheckpointException e) { throw new SettingsException("Render:Pix2PixHD:Checkpoint", e.Message); }
            if (checkpoint.TrainedFor is { } trainedFor)
            {
                try { CheckTrainedPresenter(checkpoint, trainedFor, presenters ?? Presenters(settings)); }
                catch { checkpoint.Dispose(); throw; }
            }
            // The registry lists it in `nius models show` and owns the generator's lifetime with the node's other models.
            models.Register("pix2pixhd", checkpoint.IsLocal ? "pix2pixHD local enhancer" : "pix2pixHD global generator",
                checkpoint.Source, checkpoint.Generator, settings.Pix2PixHDDevice);
            var neural = new Pix2PixHDRenderer(checkpoint, settings.Pix2PixHDBatchSize);
            renderers[neural.Name] = neural;
        }
        return renderers;
    }

    /// <summary>A checkpoint from `nius train presenter` draws the one presenter it learned, from the clip it learned
    /// on: a node without that presenter, or whose clip has changed since, is stopped naming both.</summary>
    private static void CheckTrainedPresenter(Pix2PixHDCheckpoint checkpoint, TrainingIdentity trainedFor, PresenterLibrary presenters)
    {
        if (!presenters.Names.Contains(trainedFor.Presenter))
            throw new SettingsException("Render:Pix2PixHD:Checkpoint", $"{checkpoint.Source} was trained on presenter '{trainedFor.Presenter}', " +
                $"which this node does not have (presenters in {presenters.Root}: {string.Join(", ", presenters.Names)})");
        var now = presenters.MediaSha256(trainedFor.Presenter);
        if (now != trainedFor.ClipSha256)
            throw new SettingsException("Render:Pix2PixHD:Checkpoint", $"{checkpoint.Source} was trained on presenter '{trainedFor.Presenter}' " +
                $"from clip sha256 {trainedFor.ClipSha256[..12]}…, but presenter '{trainedFor.Presenter}' is now clip sha256 {now[..12]}…; " +
                $"train it again (nius train presenter {trainedFor.Presenter}) or restore that clip");
    }

    /// <summary>The renderer the render step uses: the one Render:Renderer names (warp by default).</summary>
    public static IRenderer Renderer(NodeSettings settings, IReadOnlyDictionary<string, IRenderer> renderers) =>
        renderers.TryGetValue(settings.Renderer, out var renderer) ? renderer
        : throw new SettingsException("Render:Renderer", $"'{settings.Renderer}' is not a renderer on this node: use " +
            string.Join(", ", renderers.Keys.Order(StringComparer.Ordinal)) +
            (settings.Renderer == "pix2pixhd" ? " (pix2pixhd needs Render:Pix2PixHD:Checkpoint)" : ""));

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

    /// <summary>The synthesizer's own timings and pocketsphinx always; gentle when the node has its address.
    /// Words are pronounced by the node's one pronouncer (user lexicon, CMU dictionary, neural g2p).</summary>
    private static PhonemesStep Phonemes(NodeSettings settings, IPronouncer pronouncer)
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
        return new PhonemesStep(aligners, pronouncer, choice);
    }

    /// <summary>Tacotron2 + WaveGlow first when their checkpoints are configured, then Festival (HTS voice, with phone
    /// timings; stories can still ask for it with voice 'festival'); espeak-ng when Festival is missing or when asked for.</summary>
    private static IReadOnlyList<ISpeechSynthesizer> SpeechBackends(NodeSettings settings, ModelRegistry models, List<string> notes)
    {
        var choice = settings.SpeechBackend;
        if (choice is not ("auto" or "" or "tacotron2" or "festival" or "espeak-ng" or "espeak"))
            throw new SettingsException("Speech:Backend", $"'{choice}' is not a speech backend: use auto, tacotron2, festival or espeak-ng");
        if (choice == "tacotron2" && settings.Tacotron2 is null)
            throw new SettingsException("Speech:Tacotron2:Checkpoint", "Speech:Backend is tacotron2, which needs Speech:Tacotron2:Checkpoint and Speech:WaveGlow:Checkpoint");
        ISpeechSynthesizer? neural = null;
        if (settings.Tacotron2 is { } options && choice is "auto" or "" or "tacotron2")
        {
            EnsureDevice(models.Device);
            Tacotron2Voice voice;
            try { voice = Tacotron2Voice.Load(options, models); }
            catch (CheckpointException e)
            {
                var setting = e.Message.StartsWith(Path.GetFullPath(options.WaveGlowCheckpoint), StringComparison.Ordinal) ? "Speech:WaveGlow:Checkpoint"
                    : e.Message.StartsWith("fp16", StringComparison.Ordinal) ? "Models:Fp16" : "Speech:Tacotron2:Checkpoint";
                throw new SettingsException(setting, e.Message);
            }
            neural = new Tacotron2Synthesizer(voice, options);
            notes.Add($"speech: tacotron2 + waveglow on {models.Device.Name} ({voice.Tacotron2.Checkpoint}, {voice.WaveGlow.Checkpoint}); " +
                      $"{voice.Config.SamplingRate} Hz, {options.MaxDecoderSteps ?? voice.Config.MaxDecoderSteps} decoder steps at most per sentence");
        }
        else if (choice is "auto" or "")
            notes.Add("speech: no Tacotron2/WaveGlow checkpoints configured (Speech:Tacotron2:Checkpoint, Speech:WaveGlow:Checkpoint); speaking with Festival");
        // Every Festival voice Debian installs (SLT first: the default), then espeak-ng; each is offered when installed.
        IReadOnlyList<ISpeechSynthesizer> festival = [.. FestivalVoice.Known.Select(v => new FestivalSynthesizer(voice: v))];
        return choice switch
        {
            "tacotron2" => [neural!],
            "festival" => festival,
            "espeak-ng" or "espeak" => [new EspeakSynthesizer()],
            _ => neural is null ? [.. festival, new EspeakSynthesizer()] : [neural, .. festival, new EspeakSynthesizer()],
        };
    }
}
