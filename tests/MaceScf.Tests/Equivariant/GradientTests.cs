using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// First and second derivatives of the hot kernels against central finite differences (force training needs both).
public class GradientTests(ITestOutputHelper output)
{
    [Fact]
    public void ConvolutionGradientAndHessianVectorProductWithRespectToEdgeVectors()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "3x0e+3x1o";
        var tp = new ChannelwiseTensorProduct(in1, Irreps.SphericalHarmonics(3), "3x0e+3x1o+3x2e");
        var nodes = Reference.Randn([4, in1.Dim], 80);
        var w = Reference.Randn([7, tp.WeightNumel], 81);
        var sender = tensor(new long[] { 0, 1, 2, 3, 0, 2, 1 });
        var receiver = tensor(new long[] { 1, 2, 3, 0, 3, 1, 0 });
        Tensor Energy(Tensor v) => tp.Convolve(nodes, SphericalHarmonics.Compute(3, v), w, sender, receiver, 4).Squared().sum();
        var (g, h) = Check(Energy, Reference.Randn([7, 3], 82), Reference.Randn([7, 3], 83));
        output.WriteLine($"uvu TP: gradient rel. error {g:E2}, Hessian-vector rel. error {h:E2}");
    }

    [Fact]
    public void SymmetricContractionGradientAndHessianVectorProduct()
    {
        using var scope = NewDisposeScope();
        var sc = new SymmetricContraction("2x0e+2x1o+2x2e+2x3o", "2x0e+2x1o", correlation: 3, numElements: 2);
        var attrs = nn.functional.one_hot(tensor(new long[] { 1, 0, 1 }), 2).to_type(ScalarType.Float64);
        Tensor Energy(Tensor x) => sc.forward(x, attrs).Squared().sum();
        var (g, h) = Check(Energy, Reference.Randn([3, 2, 16], 84), Reference.Randn([3, 2, 16], 85));
        output.WriteLine($"symmetric contraction: gradient rel. error {g:E2}, Hessian-vector rel. error {h:E2}");
    }

    /// Directional derivative ⟨∇E, v⟩ and Hessian-vector product H v against central differences with step 1e-5.
    private static (double Gradient, double Hessian) Check(Func<Tensor, Tensor> energy, Tensor x, Tensor v)
    {
        const double step = 1e-5;
        Tensor Grad(Tensor at, bool createGraph)
        {
            var p = at.detach().requires_grad_(true);
            var e = energy(p);
            return autograd.grad(new[] { e }, new[] { p }, retain_graph: createGraph, create_graph: createGraph)[0];
        }
        var xg = x.detach().requires_grad_(true);
        var grad = autograd.grad(new[] { energy(xg) }, new[] { xg }, retain_graph: true, create_graph: true)[0];
        var hv = autograd.grad(new[] { (grad * v).sum() }, new[] { xg })[0];
        double fd = (energy(x.Plus(v.Times(step))) - energy(x - v.Times(step))).item<double>() / (2 * step);
        double directional = (grad * v).sum().item<double>();
        double gradientError = Math.Abs(fd - directional) / Math.Abs(directional);
        var hvFd = (Grad(x.Plus(v.Times(step)), false) - Grad(x - v.Times(step), false)).DividedBy((2 * step));
        double hessianError = Reference.MaxDiff(hv, hvFd) / Reference.MaxAbs(hv);
        Assert.True(gradientError < 1e-7, $"gradient error {gradientError}");
        Assert.True(hessianError < 1e-6, $"Hessian-vector error {hessianError}");
        return (gradientError, hessianError);
    }
}
