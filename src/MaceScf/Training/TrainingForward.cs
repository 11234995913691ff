using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// One forward pass of the model in a stage's training mode (spec §4.4 direct, §4.5 unroll_scf).
public static class TrainingForward
{
    /// <param name="createGraph">keep the graph of the forces so a force loss can be differentiated (training)</param>
    public static TrainingOutputs Run(FixedPointModel model, TrainingBatch batch, FixedPointTrainingOptions options, bool computeForces,
        bool createGraph, bool esps = false, bool fieldFeatures = false)
    {
        var inputs = batch.Inputs;
        var positions = inputs.Graph.Positions.to_type(model.Dtype).detach().requires_grad_(computeForces);
        var cell = inputs.Graph.Cell.to_type(model.Dtype);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, cell));
        var reference = inputs.Density!;
        Tensor density, features, fermi;
        ScfResult? scf = null;
        if (options.Mode == TrainingMode.Direct)
        {
            // One update from the reference density at the reference Fermi level: ρ = ρ_loc + Δρ(ρ_ref, μ_ref).
            fermi = inputs.FermiLevel!;
            var step = geometry.Step(reference, fermi.index_select(0, batch.Batch));
            density = geometry.LocalDensity + step.Update;
            features = step.Features;
        }
        else
        {
            var scfOptions = (options.Scf ?? throw new ArgumentException($"mode {options.Mode} needs an scf block")).ToModelOptions();
            var (p0, mu0, charge) = model.InitialState(geometry, inputs, scfOptions);
            scf = ScfRunner.Run(geometry, scfOptions, p0, mu0, charge, keepGraph: true);
            (density, features, fermi) = (scf.Density, scf.Features, scf.FermiLevel);
        }
        var energy = model.Energy(geometry, density, features).Total;
        Tensor? forces = null;
        if (computeForces)
            forces = -autograd.grad([energy], [positions], [ones_like(energy)], retain_graph: createGraph, create_graph: createGraph,
                allow_unused: true)[0] ?? zeros_like(positions);
        var muNode = fermi.index_select(0, batch.Batch);
        return new TrainingOutputs(energy, forces, density, geometry.Plan.TotalCharge(density), geometry.Plan.TotalDipole(density), fermi,
            esps ? (geometry.Plan.Potential(density), geometry.Plan.Potential(reference)) : null,
            fieldFeatures ? (geometry.Features(density, muNode), geometry.Features(reference, muNode)) : null, scf);
    }
}
