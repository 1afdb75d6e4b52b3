using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NiusTv.Steps.Phonemes;

public sealed record PhonemesStepOptions
{
    /// <summary>Phonemes:Aligner: auto (the synthesizer's timings when it gave phones, else pocketsphinx),
    /// synthesizer, pocketsphinx or gentle.</summary>
    public string Aligner { get; init; } = PhonemesStep.Auto;

    /// <summary>Phonemes:GentleUrl: base address of a gentle server, e.g. http://127.0.0.1:8765.</summary>
    public string? GentleUrl { get; init; }

    /// <summary>Phonemes:Lexicon, the node's user lexicon (word PH PH … lines) that wins over dictionary and model.</summary>
    public string? Lexicon { get; init; }

    /// <summary>Phonemes:Dictionary, the CMU pronouncing dictionary (default Debian's pocketsphinx-en-us copy).</summary>
    public string? Dictionary { get; init; }

    /// <summary>Phonemes:Model, the g2p model folder (default the shipped models/g2p).</summary>
    public string? Model { get; init; }
}

public static class PhonemesRegistration
{
    /// <summary>The <c>phonemes</c> step with its aligners, and the node's one <see cref="IPronouncer"/> (user lexicon →
    /// CMU dictionary → neural g2p), which the speech step and the newsroom use too.</summary>
    public static IServiceCollection AddPhonemesStep(this IServiceCollection services, PhonemesStepOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton<IPronouncer>(_ => CreatePronouncer(options));
        // The aligner's timeout is its own, per request and grown with the audio, not HttpClient's fixed 100 s.
        services.AddHttpClient(GentleAligner.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        return services.AddStoryStep(PhonemesStep.Definition, sp => Create(options, sp.GetRequiredService<IPronouncer>(),
            () => sp.GetRequiredService<IHttpClientFactory>().CreateClient(GentleAligner.ClientName)));
    }

    /// <summary>The node's pronouncer, loaded when the node starts so a missing or corrupt lexicon, dictionary or model
    /// is a start-up error naming the file and its setting, not a failed story later.</summary>
    public static Pronouncer CreatePronouncer(PhonemesStepOptions options)
    {
        UserLexicon lexicon;
        try { lexicon = options.Lexicon is { } path ? UserLexicon.Load(path) : UserLexicon.Empty; }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException) { throw new SettingsException("Phonemes:Lexicon", e.Message); }
        CmuDictionary dictionary;
        try { dictionary = CmuDictionary.Load(options.Dictionary ?? CmuDictionary.DebianPath); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException) { throw new SettingsException("Phonemes:Dictionary", e.Message); }
        try { return new Pronouncer(lexicon, dictionary, G2pModel.Load(options.Model ?? G2pLocations.DefaultModelFolder())); }
        catch (G2pModelException e) { throw new SettingsException("Phonemes:Model", e.Message); }
    }

    /// <summary>The synthesizer's own timings and pocketsphinx always; gentle when the node has its address.</summary>
    /// <param name="gentleClient">the node's HTTP client for gentle (IHttpClientFactory); asked for only when gentle is configured.</param>
    public static PhonemesStep Create(PhonemesStepOptions options, IPronouncer pronouncer, Func<HttpClient> gentleClient)
    {
        var choice = options.Aligner;
        if (choice is not (PhonemesStep.Auto or SynthesizerAligner.AlignerName or PocketsphinxAligner.AlignerName or GentleAligner.AlignerName))
            throw new SettingsException("Phonemes:Aligner", $"'{choice}' is not an aligner: use auto, synthesizer, pocketsphinx or gentle");
        var aligners = new List<IAligner> { new SynthesizerAligner(), new PocketsphinxAligner() };
        if (options.GentleUrl is { Length: > 0 } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new SettingsException("Phonemes:GentleUrl", $"'{url}' is not an http(s) address, e.g. http://127.0.0.1:8765");
            aligners.Add(new GentleAligner(uri, gentleClient()));
        }
        else if (choice == GentleAligner.AlignerName)
            throw new SettingsException("Phonemes:GentleUrl", "Phonemes:Aligner is gentle, so the address of the gentle server is needed, e.g. http://127.0.0.1:8765");
        return new PhonemesStep(aligners, pronouncer, choice);
    }
}
