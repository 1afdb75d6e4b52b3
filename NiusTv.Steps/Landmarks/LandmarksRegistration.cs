using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NiusTv.Steps.Landmarks;

/// <param name="Presenters">The folder of presenter profiles (<c>Presenters:Root</c>, as a full path).</param>
/// <param name="Cache">Where each presenter photo's detected face is cached (under the node's data folder).</param>
public sealed record LandmarksStepOptions(string Presenters, string Cache)
{
    /// <summary>dlib's 68-point shape predictor (Landmarks:Model).</summary>
    public string Model { get; init; } = DlibFaceLandmarkDetector.DefaultModel;
}

public static class LandmarksRegistration
{
    /// <summary>The <c>landmarks</c> step and the node's one <see cref="PresenterLibrary"/>, which the render step draws
    /// and the speech step takes the presenters' voices from: each presenter's face is detected once per node.</summary>
    public static IServiceCollection AddLandmarksStep(this IServiceCollection services, LandmarksStepOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(_ => Presenters(options));
        services.TryAddSingleton<IPresenterLibrary>(sp => sp.GetRequiredService<PresenterLibrary>());
        return services.AddStoryStep(LandmarksStep.Definition, sp => new LandmarksStep(sp.GetRequiredService<IPresenterLibrary>()));
    }

    /// <summary>The node's presenter profiles. Every profile's manifest and photo are checked here, at start-up, so a
    /// broken profile stops the node with its reason instead of failing stories later; faces are detected lazily,
    /// once per photo (then cached under the data folder).</summary>
    public static PresenterLibrary Presenters(LandmarksStepOptions options)
    {
        var library = new PresenterLibrary(options.Presenters, options.Cache, () => new DlibFaceLandmarkDetector(options.Model));
        if (library.Problems() is { Count: > 0 } problems)
            throw new SettingsException("Presenters:Root", string.Join("; ", problems));
        if (!File.Exists(options.Model))
            throw new SettingsException("Landmarks:Model", $"the dlib landmark model {options.Model} is missing (Debian package libdlib-data)");
        return library;
    }
}
