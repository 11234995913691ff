using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Weights drawn from N(0,1)·scale as e3nn initialises them, kept out of any dispose scope that is active while a
/// module is built (a parameter must live as long as its module).
internal static class NormalParameter
{
    public static Parameter Create(long[] shape, ScalarType dtype, double scale = 1)
    {
        using var scope = NewDisposeScope();
        var p = nn.Parameter(torch.randn(shape, dtype: dtype).Times(scale));
        p.DetachFromDisposeScope();
        return p;
    }
}
