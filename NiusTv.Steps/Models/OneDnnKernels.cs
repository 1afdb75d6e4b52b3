using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NiusTv.Steps.Models;

/// <summary>Keeps libtorch's oneDNN on its AVX2 kernels unless the operator chose otherwise. On an AMD EPYC with
/// AVX-512 (measured 2026-12-03), oneDNN's AVX-512 LSTM gave Tacotron2's encoder outputs 0.6 away from PyTorch's
/// reference (the convolutions before it matched to 1e-6); with DNNL_MAX_CPU_ISA=AVX2 every reference fixture
/// matches. Wrong speech is worse than slower speech, so AVX2 is the default; set DNNL_MAX_CPU_ISA yourself (e.g.
/// ALL) on a CPU where `nius models verify` passes with it.</summary>
internal static class OneDnnKernels
{
    public const string Variable = "DNNL_MAX_CPU_ISA";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "must run before any TorchSharp call in the process, whoever loads this library")]
    internal static void LimitIsa()
    {
        // oneDNN reads the variable with getenv() when it first dispatches a kernel, so it must be in the native
        // environment: .NET's Environment.SetEnvironmentVariable keeps its own copy on Linux.
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is { Length: > 0 }) return;
        try
        {
            if (setenv(Variable, "AVX2", 0) == 0) Environment.SetEnvironmentVariable(Variable, "AVX2"); // and children see it
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);
}
