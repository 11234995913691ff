using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// The ordered pairs (i, j ≠ i) of the receivers i ∈ [Start, Start + Count) with every source j, their separations
/// x = r_i − r_j and the Gaussian pair kernels (h, D1, D2) asked for, built from the positions (differentiable).
sealed class RealSpacePairBlock : IDisposable
{
    readonly PairKernel?[] _kernels;
    readonly Tensor _distance;

    public RealSpacePairBlock(Tensor positions, long start, long count, double[] kernelWidths, int[] kernels)
    {
        Start = start;
        Count = count;
        using var scope = NewDisposeScope();
        long atoms = positions.shape[0];
        var receivers = HeldScalars.Range(start, start + count, int64, positions.device);
        var sources = HeldScalars.Range(atoms, int64, positions.device);
        var pairs = (receivers.unsqueeze(1) != sources.unsqueeze(0)).nonzero();
        LocalReceiver = pairs[.., 0].contiguous();
        Receiver = LocalReceiver.Plus(start);
        Source = pairs[.., 1].contiguous();
        Separation = positions.index_select(0, Receiver) - positions.index_select(0, Source);
        _distance = Separation.norm(1);
        _kernels = new PairKernel?[kernelWidths.Length];
        foreach (int k in kernels) _kernels[k] = PairKernel.Of(_distance, kernelWidths[k]);
        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    public long Start { get; }
    public long Count { get; }
    public Tensor LocalReceiver { get; }
    public Tensor Receiver { get; }
    public Tensor Source { get; }
    public Tensor Separation { get; }

    public PairKernel Kernel(int index) => _kernels[index] ?? throw new InvalidOperationException($"pair kernel {index} was not built for this block");

    /// A clear error instead of NaN energies for coincident (e.g. duplicated) atoms.
    public void RefuseOverlaps(double minimumSeparation)
    {
        if (_distance.numel() == 0) return;
        // In a scope: an element of the distances left to the garbage collector would keep the block's graph alive.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var distance = _distance.detach();
        long closest = distance.argmin().item<long>();
        double d = distance[closest].to_type(ScalarType.Float64).item<double>();
        if (d >= minimumSeparation) return;
        throw new StructureGeometryException(
            $"realspace electrostatics: atoms {Receiver[closest].item<long>()} and {Source[closest].item<long>()} are {d:G3} Å apart "
            + $"(closer than {minimumSeparation} Å: duplicated atoms?); the Gaussian pair terms are undefined there");
    }

    IEnumerable<Tensor> Owned() =>
        new[] { LocalReceiver, Receiver, Source, Separation, _distance }.Concat(_kernels.OfType<PairKernel>().SelectMany(k => new[] { k.H, k.D1, k.D2 }));

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
    }
}

/// h = k_e erf(R/c)/R of two Gaussians whose widths add to s² (c = √2 s), D1 = h'/R and D2 = (D1)'/R.
sealed record PairKernel(Tensor H, Tensor D1, Tensor D2)
{
    public static PairKernel Of(Tensor r, double s)
    {
        double c = Math.Sqrt(2) * s;
        var e = r.DividedBy(c).erf();
        var g = (-r.DividedBy(c).Squared()).exp().Times(2 / (Math.Sqrt(Math.PI) * c));
        var r2 = r.Squared();
        var r3 = r2 * r;
        double ke = CoulombConstants.CoulombConstant;
        var h = e.Times(ke) / r;
        var d1 = (g / r2 - e / r3).Times(ke);
        var d2 = (g.Times(-2).DividedBy(c * c) - g.Times(3) / r2).Plus(e.Times(3) / r3).Times(ke) / r2;
        return new PairKernel(h, d1, d2);
    }
}
