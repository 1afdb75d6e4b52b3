using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps.Storage;

namespace NiusTv.Steps.Init;

/// <param name="Assets">Where the stories' images and brand packs come from: a folder (full path) or a whole bucket,
/// <c>gs://BUCKET</c> (<c>--assets</c>, <c>Node:Assets</c>).</param>
/// <param name="StorageEndpoint">Another Cloud Storage endpoint (<c>Storage:Endpoint</c>).</param>
public sealed record InitStepOptions(string Assets, string? StorageEndpoint = null);

public static class InitRegistration
{
    /// <summary>The <c>init</c> step, reading from the asset store <paramref name="options"/> names.</summary>
    public static IServiceCollection AddInitStep(this IServiceCollection services, InitStepOptions options)
    {
        services.AddSingleton(options);
        services.AddGcsClient(options.StorageEndpoint);
        services.TryAddSingleton(sp => StorageRegistration.AssetStore(options.Assets, "--assets", sp.GetRequiredService<Google.Cloud.Storage.V1.StorageClient>));
        return services.AddStoryStep(InitStep.Definition, sp => new InitStep(sp.GetRequiredService<IAssetStore>()));
    }
}
