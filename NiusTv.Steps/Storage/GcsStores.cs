using System.Net;
using Google;
using Google.Cloud.Storage.V1;
using NiusTv.Steps.Cloud;
using Polly;

namespace NiusTv.Steps.Storage;

/// <summary>Builds the Cloud Storage client both stores share: an explicit endpoint (tests, a gateway) or
/// STORAGE_EMULATOR_HOST without credentials; otherwise the real service with Application Default Credentials.</summary>
public static class GcsClients
{
    public const string EmulatorVariable = "STORAGE_EMULATOR_HOST";

    public static StorageClient Create(string? endpoint = null)
    {
        endpoint ??= Environment.GetEnvironmentVariable(EmulatorVariable);
        if (string.IsNullOrWhiteSpace(endpoint)) return StorageClient.Create();
        var root = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint.TrimEnd('/') : "http://" + endpoint.TrimEnd('/');
        return new StorageClientBuilder { BaseUri = root + "/storage/v1/", UnauthenticatedAccess = true }.Build();
    }

    /// <summary>`gs://BUCKET/PREFIX` as (bucket, prefix without slashes at either end).</summary>
    public static (string Bucket, string Prefix) ParseLocation(string location)
    {
        if (!location.StartsWith(Stories.AssetUri.GcsPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"'{location}' is not a gs://BUCKET[/PREFIX] location");
        var rest = location[Stories.AssetUri.GcsPrefix.Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0) throw new ArgumentException($"'{location}' names no bucket");
        return (bucket, slash < 0 ? "" : rest[(slash + 1)..].Trim('/'));
    }

    /// <summary>Throttling, server errors and broken connections are worth another try; a 404 or 403 is not.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        GoogleApiException g => g.HttpStatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)g.HttpStatusCode >= 500,
        HttpRequestException or IOException => true,
        TaskCanceledException t => t.InnerException is TimeoutException,
        _ => false,
    };

    /// <summary>The store's retries: transient failures of one call, a few times (<see cref="CloudRetry.Store"/>).</summary>
    internal static ResiliencePipeline Retries(CloudRetry? retry, TimeProvider? time) => (retry ?? CloudRetry.Store).Pipeline(IsTransient, time);

    /// <summary>Runs <paramref name="call"/> through <paramref name="retries"/>.</summary>
    internal static async Task<T> RetryAsync<T>(Func<Task<T>> call, ResiliencePipeline retries, CancellationToken ct) =>
        await retries.ExecuteAsync(async _ => await call(), ct);

    /// <summary>Our pipeline is the only retry layer: the library's own retries of idempotent calls would multiply it.</summary>
    internal static readonly RetryOptions NoLibraryRetry = RetryOptions.Never;
}

/// <summary>Story images from a bucket (<c>--assets gs://BUCKET</c>). Relative uris name objects in that bucket;
/// <c>gs://other/path</c> names an object anywhere the credentials reach.</summary>
public sealed class GcsAssetStore(StorageClient client, string bucket, CloudRetry? retry = null, TimeProvider? time = null) : IAssetStore
{
    private readonly ResiliencePipeline _retry = GcsClients.Retries(retry, time);

    public string Kind => "gcs";
    public string Describe => $"bucket gs://{bucket}";

    public async Task<AssetInfo?> StatAsync(string uri, CancellationToken ct)
    {
        var (b, name) = Resolve(uri);
        try
        {
            var o = await GcsClients.RetryAsync(() => client.GetObjectAsync(b, name, new GetObjectOptions { RetryOptions = GcsClients.NoLibraryRetry }, ct), _retry, ct);
            return new AssetInfo((long)(o.Size ?? 0));
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound) { return null; }
        catch (Exception e) when (GcsClients.IsTransient(e)) { throw new IOException($"gs://{b}/{name}: {e.Message}", e); }
    }

    /// <remarks>The object is read whole into memory (story images are bounded by ImageLimits) so that its checksum
    /// is verified against the one the service reports before anyone decodes a byte of it.</remarks>
    public async Task<Stream> OpenReadAsync(string uri, CancellationToken ct)
    {
        var (b, name) = Resolve(uri);
        try
        {
            return await GcsClients.RetryAsync(async () =>
            {
                var buffer = new MemoryStream();
                await client.DownloadObjectAsync(b, name, buffer,
                    new DownloadObjectOptions { DownloadValidationMode = DownloadValidationMode.Always }, ct);
                buffer.Position = 0;
                return (Stream)buffer;
            }, _retry, ct);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound) { throw new FileNotFoundException($"gs://{b}/{name} does not exist", e); }
        catch (Exception e) when (GcsClients.IsTransient(e)) { throw new IOException($"gs://{b}/{name}: {e.Message}", e); }
    }

    private (string Bucket, string Name) Resolve(string uri)
    {
        var (b, name) = uri.StartsWith(Stories.AssetUri.GcsPrefix, StringComparison.Ordinal) ? GcsClients.ParseLocation(uri) : (bucket, uri);
        if (name.Length == 0 || name.Split('/').Any(s => s is "" or "." or "..") || name.Contains('\\') || Path.IsPathRooted(name))
            throw new AssetRejectedException($"'{uri}' does not name an object in {Describe}");
        return (b, name);
    }
}

/// <summary>Finished videos under a bucket prefix (<c>--out gs://BUCKET/PREFIX</c>).</summary>
public sealed class GcsVideoStore(StorageClient client, string bucket, string prefix, CloudRetry? retry = null, TimeProvider? time = null) : IVideoStore
{
    /// <summary>Videos are replaced when a story gets a new revision: caches may keep one for a minute, not a day.</summary>
    public const string CacheControl = "public, max-age=60";
    private readonly ResiliencePipeline _retry = GcsClients.Retries(retry, time);

    public string Kind => "gcs";
    public string Describe => prefix.Length == 0 ? $"bucket gs://{bucket}" : $"gs://{bucket}/{prefix}";

    private string ObjectName(string name)
    {
        if (name.Length == 0 || name.Split('/').Any(s => s is "" or "." or ".."))
            throw new ArgumentException($"'{name}' is not an object name under {Describe}");
        return prefix.Length == 0 ? name : prefix + "/" + name;
    }

    /// <remarks>A resumable upload: the service creates the object only when the last byte has arrived, so a reader
    /// sees the old video or the new one, never a part. A failed attempt is retried from a fresh session.</remarks>
    public async Task<string> PutAsync(string localFile, string objectName, string contentType, CancellationToken ct)
    {
        var name = ObjectName(objectName);
        await Guarded(name, async () => { await Upload(localFile, name, contentType, ct); return true; });
        return $"gs://{bucket}/{name}";
    }

    /// <summary>Both or neither, as far as a bucket allows: every file is uploaded first under a staging name, so a
    /// failed or refused upload changes nothing readers see. Only then is each copied into place by the service (no
    /// bytes through this node), after the objects it replaces were copied aside; a copy that fails puts the earlier
    /// ones back, so readers never keep a new poster beside an old or missing video.</summary>
    public async Task<IReadOnlyList<string>> PutAllAsync(IReadOnlyList<(string LocalFile, string ObjectName, string ContentType)> files, CancellationToken ct)
    {
        var batch = Guid.NewGuid().ToString("N")[..12];
        var targets = files.Select(f => ObjectName(f.ObjectName)).ToList();
        var staged = new List<string>();
        var asides = new Dictionary<string, string>();
        var placed = new List<string>();
        try
        {
            return await Guarded(targets[0], async () =>
            {
                for (var i = 0; i < files.Count; i++)
                {
                    var stage = Sibling(targets[i], "staged", batch);
                    staged.Add(stage);
                    await Upload(files[i].LocalFile, stage, files[i].ContentType, ct);
                }
                foreach (var target in targets)
                {
                    var aside = Sibling(target, "previous", batch);
                    if (await CopyIfThere(target, aside, ct)) asides[target] = aside;
                }
                for (var i = 0; i < targets.Count; i++)
                {
                    await Copy(staged[i], targets[i], ct);
                    placed.Add(targets[i]);
                }
                return (IReadOnlyList<string>)targets.Select(t => $"gs://{bucket}/{t}").ToList();
            });
        }
        catch
        {
            // Undo with a token of its own: the caller's may be the reason we are here.
            using var undo = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            foreach (var target in placed)
            {
                try
                {
                    if (asides.TryGetValue(target, out var aside)) await Copy(aside, target, undo.Token);
                    else await DeleteQuietly(target, undo.Token);
                }
                catch (Exception) { } // the first failure is the one to report
            }
            throw;
        }
        finally
        {
            using var tidy = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            foreach (var name in staged.Concat(asides.Values)) await DeleteQuietly(name, tidy.Token);
        }
    }

    /// <summary>Beside its target, so it shares the target's permissions and lifecycle rules, and hidden by its dot.</summary>
    private static string Sibling(string target, string kind, string batch)
    {
        var slash = target.LastIndexOf('/');
        return $"{target[..(slash + 1)]}.{target[(slash + 1)..]}.{kind}-{batch}";
    }

    private Task Copy(string from, string to, CancellationToken ct) =>
        GcsClients.RetryAsync(() => client.CopyObjectAsync(bucket, from, bucket, to, new CopyObjectOptions { RetryOptions = GcsClients.NoLibraryRetry }, ct), _retry, ct);

    private async Task<bool> CopyIfThere(string from, string to, CancellationToken ct)
    {
        try { await Copy(from, to, ct); return true; }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound) { return false; }
    }

    private async Task DeleteQuietly(string name, CancellationToken ct)
    {
        try { await GcsClients.RetryAsync(async () => { await client.DeleteObjectAsync(bucket, name, new DeleteObjectOptions { RetryOptions = GcsClients.NoLibraryRetry }, ct); return true; }, _retry, ct); }
        catch (Exception) { } // a leftover staging object is harmless; the failure that matters was already reported
    }

    /// <summary>What the publish step reads from a store failure: "try again later" (IOException) or "an operator must
    /// fix access" (UnauthorizedAccessException).</summary>
    private async Task<T> Guarded<T>(string name, Func<Task<T>> call)
    {
        try { return await call(); }
        catch (GoogleApiException e) when (e.HttpStatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new UnauthorizedAccessException($"gs://{bucket}/{name}: {e.Message}", e);
        }
        catch (GoogleApiException e) { throw new IOException($"gs://{bucket}/{name}: {e.Message}", e); }
        catch (HttpRequestException e) { throw new IOException($"gs://{bucket}/{name}: {e.Message}", e); }
    }

    private Task Upload(string localFile, string name, string contentType, CancellationToken ct) =>
        GcsClients.RetryAsync(async () =>
        {
            await using var source = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
            return await client.UploadObjectAsync(
                new Google.Apis.Storage.v1.Data.Object { Bucket = bucket, Name = name, ContentType = contentType, CacheControl = CacheControl },
                source, new UploadObjectOptions { ChunkSize = UploadObjectOptions.MinimumChunkSize * 32 }, ct);
        }, _retry, ct);

    public async Task DeleteAsync(string objectName, CancellationToken ct)
    {
        var name = ObjectName(objectName);
        await Guarded(name, async () =>
        {
            try { await GcsClients.RetryAsync(async () => { await client.DeleteObjectAsync(bucket, name, new DeleteObjectOptions { RetryOptions = GcsClients.NoLibraryRetry }, ct); return true; }, _retry, ct); }
            catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound) { }
            return true;
        });
    }

    public async Task<bool> ExistsAsync(string objectName, CancellationToken ct)
    {
        var name = ObjectName(objectName);
        try
        {
            await GcsClients.RetryAsync(() => client.GetObjectAsync(bucket, name, new GetObjectOptions { RetryOptions = GcsClients.NoLibraryRetry }, ct), _retry, ct);
            return true;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound) { return false; }
    }
}
