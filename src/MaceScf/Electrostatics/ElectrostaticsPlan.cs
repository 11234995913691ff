using MaceScf.Data;
using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Electrostatics of a batch of structures at fixed geometry. Everything that depends only on the
/// geometry (k-vectors, cos/sin(k·r), basis transforms, pair kernels) is built once in the
/// constructor, so the many densities of an SCF loop are each evaluated with a few matrix
/// products. All results are differentiable with respect to the coefficients p, the positions
/// and the cell (build the plan from tensors that require grad; forces are −∂E/∂r by autograd).
///
/// Coefficients p are [N, (L+1)²] in the order [q, p_y, p_z, p_x]; units Å, e, eV, V.
internal sealed class ElectrostaticsPlan : IDisposable
{
    readonly StructureElectrostatics[] _structures;
    readonly Tensor[] _atomsOfStructure;     // node indices of each structure
    readonly Tensor[] _positionsOfStructure;
    readonly Tensor?[] _cellOfStructure;     // detached, for the fully periodic (pbc) structures only
    readonly Tensor _outputOrder;            // inverse of the concatenated node indices
    readonly Tensor _positions, _batch, _fieldProjection;

    /// <param name="options">the electrostatics settings (boundary and k-space method, smearing, feature widths, accuracy).</param>
    /// <param name="positions">[N, 3] Cartesian positions (Å), not wrapped.</param>
    /// <param name="cell">[3, 3] or [G, 3, 3], rows are lattice vectors; null only for realspace.</param>
    /// <param name="pbc">[3] or [G, 3] bool flags; needed by mixed_periodic and auto (null = all false).</param>
    /// <param name="batch">[N] structure index of each atom; null for a single structure.</param>
    /// <param name="autoPmeThreshold">Atoms per structure from which `kspace_method auto` uses PME
    /// (<see cref="KspaceMethodNames.ScfAutoPmeThreshold"/> for the plan of an SCF).</param>
    public ElectrostaticsPlan(ElectrostaticsOptions options, Tensor positions, Tensor? cell = null, Tensor? pbc = null, Tensor? batch = null,
        int autoPmeThreshold = KspaceMethodNames.AutoPmeThreshold)
    {
        options.Validate();
        if (positions.dim() != 2 || positions.shape[1] != 3)
            throw new ArgumentException($"positions must be [N, 3], got [{string.Join(", ", positions.shape)}]", nameof(positions));
        Options = options;
        Layout = new FieldFeatureLayout(options);
        int atomCount = (int)positions.shape[0];
        using var scope = NewDisposeScope();
        _batch = batch is null ? zeros(atomCount, dtype: int64, device: positions.device) : batch.to(int64);
        if (_batch.dim() != 1 || _batch.shape[0] != atomCount)
            throw new ArgumentException($"batch must be [{atomCount}], got [{string.Join(", ", _batch.shape)}]", nameof(batch));
        var cells = cell is null ? null : cell.dim() == 2 ? cell.unsqueeze(0) : cell;
        if (cells is not null && (cells.dim() != 3 || cells.shape[1] != 3 || cells.shape[2] != 3))
            throw new ArgumentException($"cell must be [3, 3] or [G, 3, 3], got [{string.Join(", ", cell!.shape)}]", nameof(cell));
        int graphCount = cells is not null ? (int)cells.shape[0] : atomCount == 0 ? 1 : (int)_batch.max().item<long>() + 1;
        if (atomCount > 0 && _batch.max().item<long>() >= graphCount)
            throw new ArgumentException($"batch refers to structure {_batch.max().item<long>()} but only {graphCount} cells were given", nameof(batch));
        var flags = ReadPbc(pbc, graphCount);
        Methods = ResolveMethods(options.Method, flags);

        _positions = positions.alias();
        _structures = new StructureElectrostatics[graphCount];
        _atomsOfStructure = new Tensor[graphCount];
        _positionsOfStructure = new Tensor[graphCount];
        _cellOfStructure = new Tensor?[graphCount];
        for (int g = 0; g < graphCount; g++)
        {
            _atomsOfStructure[g] = _batch.EqualTo(g).nonzero().squeeze(1);
            _positionsOfStructure[g] = graphCount == 1 ? positions.alias() : positions.index_select(0, _atomsOfStructure[g]);
            try
            {
                _structures[g] = new StructureElectrostatics(options, Layout, _positionsOfStructure[g], cells?[g], Methods[g], autoPmeThreshold);
            }
            catch (StructureGeometryException e) when (e.Structure is null)
            {
                throw e.InStructure(g);
            }
        }
        // A molecule in a box far larger than itself may have been given realspace (KspaceBudget).
        Methods = _structures.Select(s => s.Method).ToArray();
        for (int g = 0; g < graphCount; g++)
            if (Methods[g] == BoundaryMethod.Pbc) _cellOfStructure[g] = cells![g].detach().clone();
        _outputOrder = cat(_atomsOfStructure, 0).argsort();
        _fieldProjection = Layout.LinearPotentialMatrix(positions.dtype, positions.device);
        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    public ElectrostaticsOptions Options { get; }
    public FieldFeatureLayout Layout { get; }

    /// Boundary method used for each structure after resolving mixed_periodic and auto.
    public IReadOnlyList<BoundaryMethod> Methods { get; }

    public int StructureCount => _structures.Length;

    /// Half-space k-vectors summed over all structures (each stands for a ±k pair).
    public int KVectorCount => _structures.Sum(s => s.KVectorCount);

    /// How the reciprocal-space part of each structure is evaluated (null for realspace structures).
    public IReadOnlyList<KspaceSetup?> KspaceSetups => _structures.Select(s => s.Kspace).ToArray();

    /// The fully periodic (pbc) structures: index g, their atoms' indices [n_g], positions [n_g, 3] and cell [3, 3], detached
    /// (for the implicit solves' long-wavelength preconditioner, docs/fixed-point.md, "Forces: implicit or unrolled").
    public IEnumerable<(int Structure, Tensor Atoms, Tensor Positions, Tensor Cell)> PeriodicStructures() =>
        Enumerable.Range(0, StructureCount).Where(g => _cellOfStructure[g] is not null)
            .Select(g => (g, _atomsOfStructure[g], _positionsOfStructure[g].detach(), _cellOfStructure[g]!));

    /// One line for logs: structure g's boundary method and k-space setup.
    public string Describe(int structure) =>
        _structures[structure].Kspace is { } kspace ? $"{Methods[structure].ToName()}, {kspace}" : Methods[structure].ToName();

    /// Electrostatic energy of each structure (eV), [G].
    public Tensor Energy(Tensor p)
    {
        CheckCoefficients(p);
        using var scope = NewDisposeScope();
        return stack(PerStructure(p, (s, pg) => s.Energy(pg)), 0).MoveToOuterDisposeScope();
    }

    /// Field features of the density p, [N, S·(Lf+1)²], l-major then width then m (docs/math.md, "Field features"),
    /// with the self-interaction setting and boundary corrections applied, not normalised.
    public Tensor FieldFeatures(Tensor p)
    {
        CheckCoefficients(p);
        using var scope = NewDisposeScope();
        return Gather(PerStructure(p, (s, pg) => s.Features(pg))).MoveToOuterDisposeScope();
    }

    /// Electrostatic potential (V) of the whole density at each atom, own Gaussian included, [N].
    /// Periodic potentials average to zero over the cell; molecule_in_box and slab add their corrections.
    public Tensor Potential(Tensor p)
    {
        CheckCoefficients(p);
        using var scope = NewDisposeScope();
        return Gather(PerStructure(p, (s, pg) => s.Potential(pg))).MoveToOuterDisposeScope();
    }

    /// Field features of the applied potential V0 + E·r (docs/math.md, "External field and Fermi level"): [N, F].
    /// <param name="externalField">[G, 3] gradient of the applied potential (V/Å), or null.</param>
    /// <param name="potentialShift">[G] or [N] constant potential, e.g. μ − μ_off (V), or null;
    /// read per structure when N = G.</param>
    public Tensor ExternalFeatures(Tensor? externalField, Tensor? potentialShift = null)
    {
        using var scope = NewDisposeScope();
        var fields = zeros(_positions.shape[0], 4, dtype: _positions.dtype, device: _positions.device);
        if (externalField is not null)
        {
            var field = PerAtomField(externalField);
            fields = fields.Plus(cat(new[] { (field * _positions).sum(1, keepdim: true), field }, 1));
        }
        if (potentialShift is not null)
        {
            var shift = potentialShift.shape[0] == _positions.shape[0] && potentialShift.shape[0] != StructureCount
                ? potentialShift
                : PerAtom(potentialShift, "potentialShift");
            fields = fields.Plus(cat(new[] { shift.unsqueeze(1), zeros(shift.shape[0], 3, dtype: shift.dtype, device: shift.device) }, 1));
        }
        return fields.matmul(_fieldProjection).MoveToOuterDisposeScope();
    }

    /// The field features of a unit uniform field along Cartesian <paramref name="axis"/> without its potential E·r (the l = 1
    /// features of <see cref="ExternalFeatures"/> alone), [N, F].
    public Tensor UniformFieldFeatures(int axis)
    {
        using var scope = NewDisposeScope();
        var fields = zeros(_positions.shape[0], 4, dtype: _positions.dtype, device: _positions.device);
        fields.select(1, axis + 1).fill_(HeldScalars.One);
        return fields.matmul(_fieldProjection).MoveToOuterDisposeScope();
    }

    /// Energy of the density in the applied field, E·P per structure (docs/math.md, "Energy"), [G].
    public Tensor ExternalFieldEnergy(Tensor p, Tensor externalField)
    {
        using var scope = NewDisposeScope();
        return (TotalDipole(p) * externalField.reshape(StructureCount, 3)).sum(1).MoveToOuterDisposeScope();
    }

    /// Σ q_i per structure, [G].
    public Tensor TotalCharge(Tensor p)
    {
        CheckCoefficients(p);
        using var scope = NewDisposeScope();
        return GraphSum.Of(p[.., 0], _batch, StructureCount).MoveToOuterDisposeScope();
    }

    /// P = Σ q_i r_i + Σ d_i per structure (Cartesian, e·Å), [G, 3].
    public Tensor TotalDipole(Tensor p)
    {
        CheckCoefficients(p);
        using var scope = NewDisposeScope();
        var perAtom = p[.., 0].unsqueeze(1) * _positions;
        if (p.shape[1] > 1) perAtom = perAtom.Plus(RealSpaceSum.CartesianDipoles(p));
        return GraphSum.Of(perAtom, _batch, StructureCount).MoveToOuterDisposeScope();
    }

    Tensor[] PerStructure(Tensor p, Func<StructureElectrostatics, Tensor, Tensor> evaluate) =>
        _structures.Select((s, g) => evaluate(s, StructureCount == 1 ? p : p.index_select(0, _atomsOfStructure[g]))).ToArray();

    Tensor Gather(Tensor[] perStructure) =>
        StructureCount == 1 ? perStructure[0] : cat(perStructure, 0).index_select(0, _outputOrder);

    Tensor PerAtomField(Tensor externalField) =>
        externalField.reshape(StructureCount, 3).index_select(0, _batch);

    Tensor PerAtom(Tensor perStructure, string name)
    {
        if (perStructure.numel() != StructureCount)
            throw new ArgumentException($"{name} must have one value per structure ({StructureCount}) or per atom ({_positions.shape[0]})", name);
        return perStructure.reshape(StructureCount).index_select(0, _batch);
    }

    void CheckCoefficients(Tensor p)
    {
        if (p.dim() != 2 || p.shape[0] != _positions.shape[0] || p.shape[1] != Options.DensityCoefficientCount)
            throw new ArgumentException(
                $"coefficients must be [{_positions.shape[0]}, {Options.DensityCoefficientCount}] ([q, p_y, p_z, p_x] for L = 1), got [{string.Join(", ", p.shape)}]",
                nameof(p));
    }

    static bool[][] ReadPbc(Tensor? pbc, int graphCount)
    {
        if (pbc is null) return Enumerable.Range(0, graphCount).Select(_ => new bool[3]).ToArray();
        var flags = pbc.to(@bool).reshape(-1).data<bool>().ToArray();
        if (flags.Length == 3 && graphCount > 1) flags = Enumerable.Repeat(flags, graphCount).SelectMany(f => f).ToArray();
        if (flags.Length != 3 * graphCount)
            throw new ArgumentException($"pbc must be [3] or [{graphCount}, 3], got {flags.Length} flags", nameof(pbc));
        return Enumerable.Range(0, graphCount).Select(g => flags.Skip(3 * g).Take(3).ToArray()).ToArray();
    }

    /// mixed_periodic: FFF → molecule_in_box, TTF → slab, otherwise pbc; auto: mixed_periodic if any
    /// structure has a periodic direction, else realspace (docs/math.md, "Boundary corrections").
    public static BoundaryMethod[] ResolveMethods(BoundaryMethod method, bool[][] pbc)
    {
        if (method == BoundaryMethod.Auto)
            method = pbc.Any(f => f.Any(x => x)) ? BoundaryMethod.MixedPeriodic : BoundaryMethod.Realspace;
        if (method != BoundaryMethod.MixedPeriodic) return pbc.Select(_ => method).ToArray();
        return pbc.Select(f => f switch
        {
            [false, false, false] => BoundaryMethod.MoleculeInBox,
            [true, true, false] => BoundaryMethod.Slab,
            _ => BoundaryMethod.Pbc,
        }).ToArray();
    }

    IEnumerable<Tensor> Owned() =>
        _atomsOfStructure.Concat(_positionsOfStructure).Concat(_cellOfStructure.OfType<Tensor>()).Append(_outputOrder).Append(_positions).Append(_batch).Append(_fieldProjection);

    public void Dispose()
    {
        foreach (var s in _structures) s.Dispose();
        foreach (var t in Owned()) t.Dispose();
    }
}
