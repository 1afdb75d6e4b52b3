using Google.Cloud.Storage.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NiusTv.Steps.Stories;

namespace NiusTv.Steps.Storage;

/// <summary>The stores the init and publish steps read from and write to: a local folder, or Cloud Storage for a
/// <c>gs://</c> location (one client for both, built when first needed).</summary>
public static class StorageRegistration
{
    public static bool IsGcs(string location) => location.StartsWith(AssetUri.GcsPrefix, StringComparison.Ordinal);

    /// <param name="endpoint">Another Cloud Storage endpoint (Storage:Endpoint); null: STORAGE_EMULATOR_HOST, else Google's.</param>
    public static IServiceCollection AddGcsClient(this IServiceCollection services, string? endpoint)
    {
        services.TryAddSingleton(_ => GcsClients.Create(endpoint));
        return services;
    }

    /// <summary>A folder (as a full path) or a whole bucket, <c>gs://BUCKET</c>: story uris carry the paths.</summary>
    /// <param name="option">How the user gave <paramref name="location"/>, for the sentence that refuses it.</param>
    public static IAssetStore AssetStore(string location, string option, Func<StorageClient> gcs)
    {
        if (!IsGcs(location)) return new LocalFolderAssetStore(location);
        var (bucket, prefix) = Location(option, location);
        if (prefix.Length > 0)
            throw new SettingsException(option, $"'{location}': assets come from a whole bucket (gs://BUCKET); story uris carry the paths");
        return new GcsAssetStore(gcs(), bucket);
    }

    /// <summary>A folder (as a full path) or <c>gs://BUCKET[/PREFIX]</c>.</summary>
    public static IVideoStore VideoStore(string location, string option, Func<StorageClient> gcs)
    {
        if (!IsGcs(location)) return new LocalFolderVideoStore(location);
        var (bucket, prefix) = Location(option, location);
        return new GcsVideoStore(gcs(), bucket, prefix);
    }

    private static (string Bucket, string Prefix) Location(string option, string value)
    {
        try { return GcsClients.ParseLocation(value); }
        catch (ArgumentException e) { throw new SettingsException(option, e.Message); }
    }
}
