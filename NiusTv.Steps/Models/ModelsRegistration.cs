using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NiusTv.Steps.Models;

public static class ModelsRegistration
{
    /// <summary>The node's one <see cref="ModelRegistry"/> (<c>Models:Device</c>), which the speech and render steps load
    /// their models into and `nius models show` lists. The container disposes it, and its models, with the node.</summary>
    public static IServiceCollection AddModels(this IServiceCollection services, ModelDevice device)
    {
        services.TryAddSingleton(_ => new ModelRegistry(device));
        return services;
    }

    /// <summary>Checks Models:Device against this libtorch, once, when a model is about to be loaded.</summary>
    public static void EnsureDevice(ModelDevice device)
    {
        try { device.EnsureAvailable(); }
        catch (InvalidOperationException e) { throw new SettingsException("Models:Device", e.Message); }
    }
}
