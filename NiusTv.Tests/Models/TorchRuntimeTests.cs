using Xunit;
using static TorchSharp.torch;

namespace NiusTv.Tests.Models;

/// <summary>The native libtorch loads in this process: on Debian 12 this only holds because the build patched
/// libLibTorchSharp.so (NiusTv.Steps/Models/Native/TorchSharpGlibcxx.targets).</summary>
[Trait("Speed", "Slow")]
public class TorchRuntimeTests
{
    [Fact]
    public void A_tensor_op_runs_in_the_test_process()
    {
        using var sum = ones(2, 2).sum();
        Assert.Equal(4f, sum.item<float>());
    }
}
