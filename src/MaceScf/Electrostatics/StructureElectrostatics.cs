using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Electrostatics of one structure under one resolved boundary method (realspace, pbc, slab or
/// molecule_in_box), with the self-interaction settings applied.
sealed class StructureElectrostatics : IDisposable
{
    readonly ElectrostaticsOptions _options;
    readonly RealSpaceSum? _realSpace;
    readonly IReciprocalSum? _reciprocal;
    readonly IBoundaryCorrection? _correction;
    readonly Tensor _selfFeatures;                     // [C, F]
    readonly List<Tensor> _owned = [];

    public StructureElectrostatics(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions, Tensor? cell, BoundaryMethod method,
        int autoPmeThreshold = KspaceMethodNames.AutoPmeThreshold)
    {
        _options = options;
        Method = method;
        using var scope = NewDisposeScope();
        _selfFeatures = layout.SelfInteractionMatrix(options.SmearingWidth, options.DensityMaxL, positions.dtype, positions.device);
        _owned.Add(_selfFeatures);
        if (method != BoundaryMethod.Realspace)
        {
            if (cell is null) throw new StructureGeometryException($"the {method.ToName()} method needs a cell");
            KspaceMethod = options.KspaceMethod.Resolve((int)positions.shape[0], autoPmeThreshold);
            // The k-vector and memory estimates are those of the direct sum; PME's grid is checked below.
            method = KspaceBudget.Check(options, method, positions, cell, directSum: KspaceMethod != Electrostatics.KspaceMethod.Pme);
            Method = method;
            if (method == BoundaryMethod.Realspace) KspaceMethod = null;
        }
        if (method == BoundaryMethod.Realspace)
        {
            // With gradients a kept block's graph is held by every evaluation: only small structures keep them (docs/errors.md).
            bool gradients = positions.requires_grad;
            ElectrostaticsMemory.Require(ElectrostaticsMemory.RealspaceBytes(positions.shape[0], options, gradients),
                $"the realspace sum of {positions.shape[0]} atoms{(gradients ? " with forces or stress" : "")}",
                gradients ? "evaluate without forces (--no-forces), or fewer atoms" : "evaluate fewer atoms");
            _realSpace = new RealSpaceSum(options, layout, positions, cachedPairLimit: gradients ? RealSpaceSum.CachedPairLimitWithGradients : RealSpaceSum.CachedPairLimit);
        }
        else
        {
            var volume = linalg.det(cell!);
            if (KspaceMethod == Electrostatics.KspaceMethod.Pme)
            {
                var mesh = MeshParameters.Choose(options);
                KspaceBudget.CheckParticleMesh(options, method, positions, cell!, mesh);
                _reciprocal = new ParticleMeshSum(options, layout, positions, cell!, mesh);
            }
            else _reciprocal = new ReciprocalSpaceSum(options, layout, positions, cell!);
            var projection = layout.LinearPotentialMatrix(positions.dtype, positions.device);
            _owned.AddRange([volume, projection]);
            if (method == BoundaryMethod.Slab)
            {
                var inPlaneZ = cell![TensorIndex.Slice(0, 2), 2].abs().max().item<double>();
                if (inPlaneZ > 1e-8 * cell!.abs().max().item<double>())
                    throw new StructureGeometryException("the slab method needs the first two lattice vectors in the xy plane (vacuum along z)");
                _correction = new SlabCorrection(positions, volume, projection);
            }
            else if (method == BoundaryMethod.MoleculeInBox)
            {
                var centredSquare = layout.CentredSquareProjection(positions.dtype, positions.device);
                _owned.Add(centredSquare);
                _correction = new MoleculeInBoxCorrection(positions, volume, options.SmearingWidth, projection, centredSquare);
            }
            else if (method != BoundaryMethod.Pbc)
                throw new ArgumentException($"a structure's method must be resolved before evaluation, got {method.ToName()}");
        }
        foreach (var t in _owned) t.DetachFromDisposeScope();
    }

    public BoundaryMethod Method { get; }
    public int KVectorCount => _reciprocal?.KVectorCount ?? 0;

    /// Resolved k-space method of a periodic structure (null for realspace).
    public KspaceMethod? KspaceMethod { get; }

    /// The k-space setup of a periodic structure (null for realspace).
    public KspaceSetup? Kspace => _reciprocal switch
    {
        ParticleMeshSum mesh => new KspaceSetup(Electrostatics.KspaceMethod.Pme, mesh.KVectorCount, null, mesh.Grid, mesh.Mesh),
        ReciprocalSpaceSum sum => new KspaceSetup(Electrostatics.KspaceMethod.Ewald, sum.KVectorCount, _options.KspaceCutoff, null, null),
        _ => null,
    };

    public Tensor Energy(Tensor p)
    {
        var energy = _realSpace?.Energy(p) ?? _reciprocal!.Energy(p);
        if (_correction is not null) energy = energy.Plus(_correction.Energy(p));
        return _options.IncludeSelfInteraction ? energy : energy - RealSpaceSum.SelfEnergy(p, _options);
    }

    public Tensor Features(Tensor p)
    {
        var features = _realSpace?.Features(p) ?? _reciprocal!.Features(p);
        if (!_options.IncludeFieldSelfInteraction) features = features - p.matmul(_selfFeatures);
        return _correction is null ? features : features.Plus(_correction.Features(p));
    }

    public Tensor Potential(Tensor p)
    {
        var potential = _realSpace?.Potential(p) ?? _reciprocal!.Potential(p);
        return _correction is null ? potential : potential.Plus(_correction.Potential(p));
    }

    public void Dispose()
    {
        _realSpace?.Dispose();
        _reciprocal?.Dispose();
        foreach (var t in _owned) t.Dispose();
    }
}
