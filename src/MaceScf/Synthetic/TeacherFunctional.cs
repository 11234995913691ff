using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The teacher's energy of a density p = [q, p_y, p_z, p_x] per atom at one geometry R
/// (docs/synth.md, eq. 1):
///   E(p; R) = Σ_i [χ_i q_i + ½ J_i q_i² + |d_i|²/(2α_i)] + E_C(p; R) + E_ext·P(p; R) + E_short(R),
/// with E_C the Coulomb energy of the Gaussian density (self-energy included by default) and
/// E_ext the gradient of the applied potential. E is quadratic in p. The positions tensor
/// requires grad, so forces are −∂E/∂R by autograd; with a strain, the positions and the cell are
/// those of the strained structure R(1 + ε), cell(1 + ε) at ε = 0, so ∂E/∂ε gives the stress.
internal sealed class TeacherFunctional : IDisposable
{
    readonly ElectrostaticsPlan _plan;
    readonly Tensor _electronegativity, _hardness, _inversePolarisability, _field, _shortRange, _strainedPositions, _strainedCell;

    /// <param name="parameters">the teacher's per-element and pair parameters</param>
    /// <param name="structure">the structure: species, positions, cell, charge, field</param>
    /// <param name="strain">differentiable with respect to a homogeneous strain (<see cref="Displacement"/>)</param>
    public TeacherFunctional(TeacherParameters parameters, SyntheticStructure structure, bool strain = false)
    {
        using var scope = NewDisposeScope();
        Method = ElectrostaticsPlan.ResolveMethods(parameters.Electrostatics.Method, [structure.Pbc])[0];
        Positions = tensor(structure.Positions, dtype: float64).requires_grad_(true);
        _strainedPositions = Positions.alias();
        _strainedCell = tensor(structure.Cell, dtype: float64);
        if (strain)
        {
            Displacement = zeros(3, 3, dtype: float64).requires_grad_(true);
            var symmetric = Displacement.Plus(Displacement.t()).Times(0.5);
            _strainedPositions = Positions.Plus(Positions.matmul(symmetric));
            _strainedCell = _strainedCell.Plus(_strainedCell.matmul(symmetric));
        }
        var cell = Method == BoundaryMethod.Realspace ? null : _strainedCell;
        _plan = new ElectrostaticsPlan(parameters.Electrostatics, _strainedPositions, cell, tensor(structure.Pbc));
        var elements = structure.AtomicNumbers.Select(parameters.Element).ToArray();
        _electronegativity = tensor(elements.Select(e => e.Electronegativity).ToArray(), dtype: float64);
        _hardness = tensor(elements.Select(e => e.Hardness).ToArray(), dtype: float64);
        _inversePolarisability = tensor(elements.Select(e => 1.0 / e.Polarisability).ToArray(), dtype: float64);
        _field = tensor(structure.ExternalField, dtype: float64).reshape(1, 3);
        _shortRange = ShortRangeEnergy.Evaluate(parameters, structure, _strainedPositions, _strainedCell);
        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    /// Boundary method after resolving auto and mixed_periodic from the structure's pbc.
    public BoundaryMethod Method { get; }

    /// [N, 3] positions (Å) that every energy depends on; requires grad.
    public Tensor Positions { get; }

    /// The [3, 3] displacement gradient whose symmetric part strains the structure (zero; requires grad), or null without strain.
    public Tensor? Displacement { get; }

    /// The cell volume (Å³).
    public double Volume => Math.Abs(linalg.det(_strainedCell.detach()).item<double>());

    public int AtomCount => (int)Positions.shape[0];

    /// Coefficients per atom, (L+1)²: [q] for L = 0, [q, p_y, p_z, p_x] for L = 1.
    public int CoefficientCount => _plan.Options.DensityCoefficientCount;

    /// Σ_i [χ q + ½ J q² + |d|²/(2α)] (eV), scalar.
    public Tensor AtomicEnergy(Tensor p)
    {
        using var scope = NewDisposeScope();
        var q = p[.., 0];
        var dipoleSquare = p[.., 1..].Squared().sum(1);
        return (_electronegativity * q).Plus(_hardness.Times(0.5) * q.Squared()).Plus(_inversePolarisability.Times(0.5) * dipoleSquare)
            .sum().MoveToOuterDisposeScope();
    }

    /// Coulomb energy of the Gaussian density (eV), scalar.
    public Tensor CoulombEnergy(Tensor p) => _plan.Energy(p).sum();

    /// E_ext·P (eV), scalar.
    public Tensor FieldEnergy(Tensor p) => _plan.ExternalFieldEnergy(p, _field).sum();

    /// E_short(R) (eV), scalar; independent of p.
    public Tensor ShortRange => _shortRange;

    /// E(p; R) (eV), scalar.
    public Tensor Energy(Tensor p)
    {
        using var scope = NewDisposeScope();
        return AtomicEnergy(p).Plus(CoulombEnergy(p)).Plus(FieldEnergy(p)).Plus(_shortRange).MoveToOuterDisposeScope();
    }

    /// Σ q_i (e), scalar.
    public Tensor TotalCharge(Tensor p) => _plan.TotalCharge(p).sum();

    /// P = Σ q r + Σ d (e·Å), [3].
    public Tensor TotalDipole(Tensor p) => _plan.TotalDipole(p).reshape(3);

    IEnumerable<Tensor> Owned() => [Positions, _electronegativity, _hardness, _inversePolarisability, _field, _shortRange, _strainedPositions,
        _strainedCell, .. Displacement is null ? Array.Empty<Tensor>() : [Displacement]];

    public void Dispose()
    {
        _plan.Dispose();
        foreach (var t in Owned()) t.Dispose();
    }
}
