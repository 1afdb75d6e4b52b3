using TorchSharp;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models;

/// <summary>One model loaded on this node: what `nius models show` lists, and the module the backends run.
/// Calls go through <see cref="RunAsync{T}"/>, one at a time per model (see there why).</summary>
/// <param name="Name">Unique on the node, e.g. "tacotron2", "waveglow", "pix2pixhd".</param>
/// <param name="Kind">The architecture, e.g. "Tacotron2", "WaveGlow", "pix2pixHD LocalEnhancer".</param>
/// <param name="Checkpoint">Full path of the state dict it was loaded from.</param>
/// <param name="Device">Where its tensors live ("cpu", "cuda:0").</param>
/// <param name="DType">Parameter type ("float32", "float16").</param>
/// <param name="Parameters">Number of parameter elements (buffers such as BatchNorm statistics not counted).</param>
/// <param name="Bytes">Memory held by parameters and buffers on <paramref name="Device"/>.</param>
public sealed class LoadedModel(string name, string kind, string checkpoint, string device, string dtype, long parameters, long bytes, nn.Module module)
    : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    public string Name { get; } = name;
    public string Kind { get; } = kind;
    public string Checkpoint { get; } = checkpoint;
    public string Device { get; } = device;
    public string DType { get; } = dtype;
    public long Parameters { get; } = parameters;
    public long Bytes { get; } = bytes;
    public nn.Module Module { get; } = module;

    /// <summary>Runs <paramref name="work"/> on the calling thread with gradients off, after the calls before it
    /// on this model finished. Serialized because: on a CPU node one call already uses every intra-op thread, so
    /// concurrent calls only contend and multiply the activation memory; on a GPU they would stack up activations in
    /// VRAM; and some modules cache derived tensors lazily (WaveGlow's inverted 1x1 convs), which is only safe with one
    /// caller. no_grad and TorchSharp's dispose scopes are per thread, so they are set up here, inside the turn.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            using var _ = no_grad();
            return work();
        }
        finally
        {
            _turn.Release();
        }
    }

    public void Dispose()
    {
        Module.Dispose();
        _turn.Dispose();
    }
}

/// <summary>The models of one node, loaded once at start-up (the Models registration) and shared by every step pool worker.
/// A backend that needs a model asks the registry for it by name; `nius models show` lists the entries.</summary>
public sealed class ModelRegistry : IDisposable
{
    private readonly List<LoadedModel> _models = [];
    private readonly object _lock = new();

    public ModelRegistry(ModelDevice device) => Device = device;

    /// <summary>Where this node's models run (Models:Device).</summary>
    public ModelDevice Device { get; }

    public IReadOnlyList<LoadedModel> Models { get { lock (_lock) return _models.ToList(); } }

    /// <summary>Adds a module that is already on <see cref="Device"/>, in eval mode, with its weights loaded; the
    /// registry owns it from now on. Parameter count and bytes are measured from the module itself.</summary>
    /// <param name="device">The module's device when it is not the node's (the renderer has its own setting).</param>
    public LoadedModel Register(string name, string kind, string checkpoint, nn.Module module, string? device = null)
    {
        long parameters = 0, bytes = 0;
        string? dtype = null;
        foreach (var p in module.parameters())
        {
            parameters += p.numel();
            bytes += p.numel() * p.element_size();
            dtype ??= p.dtype.ToString().ToLowerInvariant();
        }
        foreach (var b in module.buffers()) bytes += b.numel() * b.element_size();
        var entry = new LoadedModel(name, kind, Path.GetFullPath(checkpoint), device ?? Device.Name, dtype ?? "none", parameters, bytes, module);
        lock (_lock)
        {
            if (_models.Any(m => m.Name == name)) throw new InvalidOperationException($"a model named '{name}' is registered already");
            _models.Add(entry);
        }
        return entry;
    }

    public LoadedModel? Find(string name) { lock (_lock) return _models.FirstOrDefault(m => m.Name == name); }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var m in _models) m.Dispose();
            _models.Clear();
        }
    }
}
