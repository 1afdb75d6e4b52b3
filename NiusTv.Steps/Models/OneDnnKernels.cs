using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NiusTv.Steps.Models;

/// <summary>Keeps libtorch's oneDNN on its AVX2 kernels unless the operator chose otherwise. On an AMD EPYC with
/// AVX-512 (measured 2026-12-03), oneDNN's AVX-512 LSTM gave Tacotron2's encoder outputs 0.6 away from PyTorch's
/// reference (the convolutions before it matched to 1e-6); with DNNL_MAX_CPU_ISA=AVX2 every reference fixture
/// matches. Wrong speech is worse than slower speech, so AVX2 is the default; set DNNL_MAX_CPU_ISA yourself (e.g.
/// ALL) on a CPU where `nius models verify` passes with it.</summary>
public static class OneDnnKernels
{
    public const string Variable = "DNNL_MAX_CPU_ISA";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "must run before any TorchSharp call in the process, whoever loads this library")]
    internal static void LimitIsa()
    {
        // oneDNN reads the variable with getenv() once, as libtorch starts, so it must be in the native
        // environment: .NET's Environment.SetEnvironmentVariable keeps its own copy on Linux.
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is { Length: > 0 }) return;
        try
        {
            var isa = TrainsPix2PixHD(Environment.GetCommandLineArgs()) ? "ALL" : "AVX2";
            // Native environment only: a child nius process makes its own choice, which depends on its verb.
            setenv(Variable, isa, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>`nius train presenter …` and `nius bench train …` run no LSTM and need oneDNN's full kernels: there its
    /// AVX2 convolution backward gave NaN gradients at random (measured 2026-12-03 on this project's AMD EPYC, in 3
    /// runs of 3), while AVX-512 and SSE4.1 trained cleanly. oneDNN fixes its kernels as libtorch loads, which is
    /// before any verb runs, so the choice is made here from the command line.</summary>
    internal static bool TrainsPix2PixHD(string[] commandLine)
    {
        var words = commandLine.Skip(1).Where(a => !a.StartsWith('-')).Take(2).ToArray();
        return words is ["train", "presenter"] or ["bench", "train"];
    }

    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);
}
