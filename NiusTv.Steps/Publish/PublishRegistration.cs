using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps.Storage;

namespace NiusTv.Steps.Publish;

/// <param name="Out">Where videos are published: a folder (full path) or <c>gs://BUCKET[/PREFIX]</c> (<c>--out</c>,
/// <c>Node:Out</c>).</param>
/// <param name="StorageEndpoint">Another Cloud Storage endpoint (<c>Storage:Endpoint</c>).</param>
public sealed record PublishStepOptions(string Out, string? StorageEndpoint = null);

public static class PublishRegistration
{
    /// <summary>The <c>publish</c> step, writing to the output store <paramref name="options"/> names.</summary>
    public static IServiceCollection AddPublishStep(this IServiceCollection services, PublishStepOptions options)
    {
        services.AddSingleton(options);
        services.AddGcsClient(options.StorageEndpoint);
        services.TryAddSingleton(sp => StorageRegistration.VideoStore(options.Out, "--out", sp.GetRequiredService<Google.Cloud.Storage.V1.StorageClient>));
        return services.AddStoryStep(PublishStep.Definition, sp => new PublishStep(sp.GetRequiredService<IVideoStore>()));
    }
}
