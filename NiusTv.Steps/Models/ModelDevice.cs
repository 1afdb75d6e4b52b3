using TorchSharp;
using static TorchSharp.torch;

namespace NiusTv.Steps.Models;

/// <summary>Where the node's models run: Models:Device = cpu (default), cuda (device 0) or cuda:N.</summary>
public sealed record ModelDevice(DeviceType Type, int Index)
{
    public static readonly ModelDevice Cpu = new(DeviceType.CPU, -1);

    public bool IsCuda => Type == DeviceType.CUDA;

    public string Name => IsCuda ? $"cuda:{Index}" : "cpu";

    public Device Torch => IsCuda ? new Device(DeviceType.CUDA, Index) : CPU;

    /// <summary>Parses the setting's value; <see cref="FormatException"/> says what is accepted.</summary>
    public static ModelDevice Parse(string? value)
    {
        var v = (value ?? "").Trim().ToLowerInvariant();
        if (v is "" or "cpu") return Cpu;
        if (v == "cuda") return new ModelDevice(DeviceType.CUDA, 0);
        if (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v[5..], out var n) && n >= 0) return new ModelDevice(DeviceType.CUDA, n);
        throw new FormatException($"'{value}' is not a device: use cpu, cuda or cuda:N");
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when this libtorch cannot reach the device: a CPU build
    /// (TorchSharp-cpu, the default) never can, a CUDA build needs a visible GPU with that index.</summary>
    public void EnsureAvailable()
    {
        if (!IsCuda) return;
        if (!cuda.is_available())
            throw new InvalidOperationException($"'{Name}' needs CUDA, and this node's libtorch sees no CUDA device " +
                "(the default build bundles the CPU libtorch; GPU images build with -p:NiusTvTorchPackage=TorchSharp-cuda-linux, docs/deployment.md \"GPU images\"). " +
                "Use cpu, or run a GPU image on a machine with a GPU.");
        var count = cuda.device_count();
        if (Index >= count)
            throw new InvalidOperationException($"'{Name}' does not exist: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}");
    }
}
