using NiusTv.Host.Node.Settings;
using NiusTv.Steps.Cloud;

namespace NiusTv.Host.Node;

/// <summary>The node's HTTP clients for Google's REST APIs, from IHttpClientFactory: one named client per service,
/// configured here, instead of an HttpClient built inside each API client.</summary>
public static class CloudClients
{
    public const string PubSubClient = "pubsub";
    public const string GkeClientName = "gke";

    /// <summary>Registers the named clients and, when the settings ask for them, the Pub/Sub client (also as
    /// <see cref="IPubSub"/>) and the GKE node pool the scaler resizes.</summary>
    public static IServiceCollection AddCloudClients(this IServiceCollection services, NodeSettings settings)
    {
        var gke = services.AddSection<GkeSettings>(settings.Configuration);
        // The API clients live as long as the node: connections are recycled every few minutes so a changed DNS
        // answer is picked up, which the factory's handler rotation would only do for clients created later.
        services.AddHttpClient(PubSubClient, c =>
            {
                c.BaseAddress = PubSubRestClient.EndpointFor();
                c.Timeout = Timeout.InfiniteTimeSpan; // Pull long-polls; each call's cancellation decides how long
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddHttpClient(GkeClientName, c =>
            {
                c.BaseAddress = GkeClient.EndpointFor(gke.EndpointOrNull);
                c.Timeout = GkeClient.CallTimeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        if (settings.PubSubProject is { Length: > 0 } project)
        {
            services.AddSingleton(sp => new PubSubRestClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(PubSubClient),
                project, PubSubRestClient.TokensFor(), time: sp.GetService<TimeProvider>()));
            services.AddSingleton<IPubSub>(sp => sp.GetRequiredService<PubSubRestClient>());
        }
        if (gke.Pool is { } pool)
            services.AddSingleton<INodePool>(sp => new GkeNodePool(new GkeClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(GkeClientName),
                GkeClient.TokensFor(gke.EndpointOrNull), time: sp.GetService<TimeProvider>()), pool));
        return services;
    }
}
