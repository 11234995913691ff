using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// The two hot kernels of the MACE backbone, float64, forward + backward. In-process, so the TorchSharp native glue
/// patched by the build is the one loaded.
[Config(typeof(QuickInProcess))]
public class EquivariantBenchmarks
{
    private sealed class QuickInProcess : ManualConfig
    {
        public QuickInProcess() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(6));
    }

    private const int Atoms = 512, Edges = 15_000;
    private ChannelwiseTensorProduct _tp = null!;
    private Tensor _nodes = null!, _vectors = null!, _edgeWeights = null!, _sender = null!, _receiver = null!;
    private SymmetricContraction _contraction = null!;
    private Tensor _basis = null!, _attrs = null!;

    /// libtorch intra-op threads (the machine has 2 cores, often shared).
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var g = new Generator(1);
        Irreps node = "32x0e+32x1o";
        _tp = new ChannelwiseTensorProduct(node, Irreps.SphericalHarmonics(3), "32x0e+32x1o+32x2e+32x3o");
        _nodes = torch.randn(new long[] { Atoms, node.Dim }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        _vectors = torch.randn(new long[] { Edges, 3 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        _edgeWeights = torch.randn(new long[] { Edges, _tp.WeightNumel }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        _sender = torch.randint(Atoms, new long[] { Edges }, generator: g);
        _receiver = torch.randint(Atoms, new long[] { Edges }, generator: g);

        _contraction = new SymmetricContraction("128x0e+128x1o+128x2e+128x3o", "128x0e+128x1o", correlation: 3, numElements: 4);
        _basis = torch.randn(new long[] { Atoms, 128, 16 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        _attrs = nn.functional.one_hot(torch.randint(4, new long[] { Atoms }, generator: g), 4).to_type(ScalarType.Float64);
    }

    /// 512 atoms, 15,000 edges, 32 channels, SH lmax 3 (10 paths): harmonics, gather, TP, scatter; backward to
    /// node features, edge vectors and radial weights.
    [Benchmark]
    public double ChannelwiseTensorProductForwardBackward()
    {
        using var scope = NewDisposeScope();
        var y = _tp.Convolve(_nodes, SphericalHarmonics.Compute(3, _vectors), _edgeWeights, _sender, _receiver, Atoms);
        var loss = y.Squared().sum();
        var grads = autograd.grad(new[] { loss }, new[] { _nodes, _vectors, _edgeWeights });
        return grads[1].sum().item<double>();
    }

    /// 512 atoms, 128 channels, A = 0e+1o+2e+3o, outputs 0e+1o, correlation 3, 4 elements; backward to A and weights.
    [Benchmark]
    public double SymmetricContractionForwardBackward()
    {
        using var scope = NewDisposeScope();
        var y = _contraction.forward(_basis, _attrs);
        var loss = y.Squared().sum();
        var grads = autograd.grad(new[] { loss }, new[] { _basis }.Concat(_contraction.parameters()).ToArray());
        return grads[0].sum().item<double>();
    }
}
