using Google.Apis.Auth.OAuth2;

namespace NiusTv.Steps.Cloud;

/// <summary>Bearer tokens for Google's REST APIs from Application Default Credentials, shared by the Pub/Sub and
/// GKE clients.</summary>
public static class GoogleAccessTokens
{
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>No token: the emulators and test servers take plain requests.</summary>
    public static readonly Func<CancellationToken, Task<string?>> None = _ => Task.FromResult<string?>(null);

    /// <summary>The credential is looked up once, on first use (not at start-up, so a node without credentials fails
    /// only if it really calls Google); it caches and refreshes its own token.</summary>
    public static Func<CancellationToken, Task<string?>> ApplicationDefault(string scope = CloudPlatformScope)
    {
        GoogleCredential? credential = null;
        var gate = new SemaphoreSlim(1, 1);
        return async ct =>
        {
            if (credential is null)
            {
                await gate.WaitAsync(ct);
                try { credential ??= (await GoogleCredential.GetApplicationDefaultAsync(ct)).CreateScoped(scope); }
                finally { gate.Release(); }
            }
            return await ((ITokenAccess)credential).GetAccessTokenForRequestAsync(cancellationToken: ct);
        };
    }
}
