using MaceScf.Mace;
using static TorchSharp.torch;

namespace MaceScf.Models;

/// Forces and stress of any model by automatic differentiation (docs/math.md, "Forces and stress"): a symmetric strain
/// ε_s = (ε + εᵀ)/2 at ε = 0 acts on positions and cell, r ← r (1 + ε_s), cell ← cell (1 + ε_s); forces = −∂E/∂r,
/// virials = −∂E/∂ε, stress = −virials / |det cell|. Every model computes its energy from <see cref="Positions"/> and
/// <see cref="Cell"/>, then calls <see cref="Differentiate"/>.
internal sealed class StrainDerivatives
{
    private readonly Tensor _unstrained;
    private readonly Tensor? _displacement;
    private readonly Tensor _cell;
    private readonly bool _forces;

    /// <param name="graph">the batch whose positions and cells are differentiated</param>
    /// <param name="dtype">the dtype of the positions and cell it differentiates (the model's)</param>
    /// <param name="forces">differentiate with respect to the positions</param>
    /// <param name="stress">differentiate with respect to a strain</param>
    public StrainDerivatives(MaceInputs graph, ScalarType dtype, bool forces, bool stress)
    {
        var positions = graph.Positions.to_type(dtype);
        _cell = graph.Cell.to_type(dtype);
        _forces = forces;
        if (forces && !positions.requires_grad) positions = positions.detach().requires_grad_(true);
        _unstrained = positions;
        var cell = _cell;
        if (stress)
        {
            _displacement = zeros(graph.NumGraphs, 3, 3, dtype: dtype, device: positions.device).requires_grad_(true);
            var strain = _displacement.Plus(_displacement.transpose(1, 2)).Times(0.5);
            positions = positions.Plus(positions.unsqueeze(1).bmm(strain.index_select(0, graph.Batch)).squeeze(1));
            cell = cell.Plus(cell.bmm(strain));
        }
        Positions = positions;
        Cell = cell;
    }

    /// The unstrained positions [N, 3] that forces (and Born charges) differentiate; they require grad when forces were asked for.
    public Tensor UnstrainedPositions => _unstrained;

    /// The positions [N, 3] to compute the energy from.
    public Tensor Positions { get; }

    /// The cell [G, 3, 3] to compute the energy from.
    public Tensor Cell { get; }

    /// (forces [N, 3], virials [G, 3, 3], stress [G, 3, 3]) of the energy [G]; null where not requested.
    /// <param name="energy">[G] computed from <see cref="Positions"/> and <see cref="Cell"/></param>
    /// <param name="retainGraph">keep the energy's graph (it is differentiated again, e.g. with respect to the parameters)</param>
    /// <param name="createGraph">make the derivatives differentiable (force training)</param>
    public (Tensor? Forces, Tensor? Virials, Tensor? Stress) Differentiate(Tensor energy, bool retainGraph, bool createGraph)
    {
        var wrt = new List<Tensor>();
        if (_forces) wrt.Add(_unstrained);
        if (_displacement is not null) wrt.Add(_displacement);
        if (wrt.Count == 0) return (null, null, null);
        var grads = Gradients.Of([energy], wrt, [ones_like(energy)], retainGraph: retainGraph || createGraph, createGraph: createGraph,
            allowUnused: true);
        int k = 0;
        Tensor? forces = null, virials = null, stress = null;
        if (_forces) forces = -(grads[k++] ?? zeros_like(_unstrained));
        if (_displacement is not null)
        {
            var dEdStrain = grads[k] ?? zeros_like(_displacement);
            virials = -dEdStrain;
            stress = dEdStrain / linalg.det(_cell).abs().view(-1, 1, 1);
        }
        return (forces, virials, stress);
    }
}
