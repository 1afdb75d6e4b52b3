using Microsoft.Extensions.DependencyInjection;

namespace NiusTv.Steps.Compose;

public static class ComposeRegistration
{
    /// <summary>The <c>compose</c> step with <paramref name="options"/> (<c>Compose:*</c>, <c>Output:Loudness</c>).</summary>
    public static IServiceCollection AddComposeStep(this IServiceCollection services, ComposeOptions options)
    {
        services.AddSingleton(options);
        return services.AddStoryStep<ComposeStep>(ComposeStep.Definition);
    }
}
