using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// Energy and its derivatives for a batch of structures.
/// <param name="Energy">[G]</param>
/// <param name="Forces">[N, 3] −∂E/∂r, or null</param>
/// <param name="Virials">[G, 3, 3] −∂E/∂ε, or null</param>
/// <param name="Stress">[G, 3, 3] (1/V) ∂E/∂ε = −virial/V (eV/Å³, MACE's and ASE's sign), or null</param>
/// <param name="Output">the model's full forward output</param>
public sealed record MacePrediction(Tensor Energy, Tensor? Forces, Tensor? Virials, Tensor? Stress, MaceOutput Output);

/// Forces and stress by automatic differentiation (docs/math.md, "Forces and stress"): a symmetric strain ε_s = (ε + εᵀ)/2 at ε = 0
/// acts on positions and cell, r ← r (1 + ε_s), cell ← cell (1 + ε_s); forces = −∂E/∂r, virials = −∂E/∂ε,
/// stress = −virials / |det cell|.
public static class MaceProperties
{
    /// <param name="createGraph">keep the derivative graph (force/stress training needs the second derivative)</param>
    public static MacePrediction Evaluate(MaceModel model, MaceInputs inputs, bool computeForces = true, bool computeStress = false,
        bool createGraph = false)
    {
        using var scope = NewDisposeScope();
        var positions = inputs.Positions.to_type(model.Dtype);
        var cell = inputs.Cell.to_type(model.Dtype);
        if (computeForces && !positions.requires_grad) positions = positions.detach().requires_grad_(true);
        var unstrained = positions;
        Tensor? displacement = null;
        if (computeStress)
        {
            displacement = torch.zeros(inputs.NumGraphs, 3, 3, dtype: positions.dtype, device: positions.device).requires_grad_(true);
            var strain = 0.5 * (displacement + displacement.transpose(1, 2));
            positions = positions + positions.unsqueeze(1).bmm(strain.index_select(0, inputs.Batch)).squeeze(1);
            cell = cell + cell.bmm(strain);
        }
        var output = model.forward(inputs.WithGeometry(positions, cell));
        var wrt = new List<Tensor>();
        if (computeForces) wrt.Add(unstrained);
        if (displacement is not null) wrt.Add(displacement);
        Tensor? forces = null, virials = null, stress = null;
        if (wrt.Count > 0)
        {
            var grads = torch.autograd.grad([output.Energy], wrt, [torch.ones_like(output.Energy)], retain_graph: createGraph,
                create_graph: createGraph, allow_unused: true);
            int k = 0;
            if (computeForces) forces = -(grads[k++] ?? torch.zeros_like(positions));
            if (displacement is not null)
            {
                var dEdStrain = grads[k] ?? torch.zeros_like(displacement);
                virials = -dEdStrain;
                var volume = linalg.det(inputs.Cell.to_type(model.Dtype)).abs().view(-1, 1, 1);
                stress = dEdStrain / volume;
            }
        }
        var prediction = new MacePrediction(output.Energy, forces, virials, stress, output);
        foreach (var t in new[] { forces, virials, stress }) t?.MoveToOuterDisposeScope();
        MoveOut(output);
        return prediction;
    }

    private static void MoveOut(MaceOutput o)
    {
        foreach (var t in o.NodeFeatures.Concat(o.NodeEnergies)) t.MoveToOuterDisposeScope();
        foreach (var t in new[] { o.NodeE0, o.NodeEnergy, o.InteractionEnergy, o.Energy, o.EdgeAttributes, o.EdgeFeatures, o.EdgeVectors })
            t.MoveToOuterDisposeScope();
    }
}
