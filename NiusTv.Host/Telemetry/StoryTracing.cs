using NiusTv.Host.Node;
using NiusTv.Host.Node.Settings;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace NiusTv.Host.Telemetry;

public static class StoryTracing
{
    /// <summary>Exports story traces over OTLP when Telemetry:OtlpEndpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) says where;
    /// without either, no exporter runs at all.</summary>
    public static IServiceCollection AddStoryTracing(this IServiceCollection services, NodeSettings node)
    {
        var telemetry = services.AddSection<TelemetrySettings>(node.Configuration);
        if (!telemetry.ExportsTraces) return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("niustv", serviceInstanceId: $"{node.Hostname}:{node.Port}"))
            .WithTracing(t => t.AddSource(StoryTelemetry.SourceName).AddOtlpExporter(o =>
            {
                if (!string.IsNullOrEmpty(telemetry.OtlpEndpoint)) o.Endpoint = new Uri(telemetry.OtlpEndpoint);
            }));
        return services;
    }
}
