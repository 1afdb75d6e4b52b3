using System.Runtime.CompilerServices;

namespace NiusTv.Tests.Models;

internal static class TestProcessSetup
{
    /// <summary>NiusTv.Steps chooses libtorch's CPU kernels when it loads (OneDnnKernels); a test that touches
    /// TorchSharp directly could otherwise run the first kernel before that, and fix the choice for the process.</summary>
    [ModuleInitializer]
    internal static void LoadStepsFirst() => RuntimeHelpers.RunModuleConstructor(typeof(NiusTv.Steps.StepFailure).Module.ModuleHandle);
}
