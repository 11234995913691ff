using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// One forward pass of the model in a stage's training mode (direct, unroll_scf, implicit, linearize_solve: docs/training.md; docs/math.md, "Implicit differentiation").
public static class TrainingForward
{
    /// Most SCF steps of the unroll that replaces a poor implicit or linearised solve.
    public const int FallbackSteps = 15;

    /// <param name="createGraph">keep the graph of the forces so a force loss can be differentiated (training)</param>
    /// <param name="training">the outputs will be differentiated, so computing the forces must not free the graph (and
    /// linearize_solve keeps its Jacobian on the graph; evaluation only needs the solution's value)</param>
    /// <param name="denseJacobianLimit">implicit / linearize_solve: unknowns above which the solve is matrix-free</param>
    public static TrainingOutputs Run(FixedPointModel model, TrainingBatch batch, FixedPointTrainingOptions options, bool computeForces,
        bool createGraph, bool esps = false, bool fieldFeatures = false, bool stability = false, bool training = false,
        int denseJacobianLimit = LinearizedSolution.DenseLimit)
    {
        var inputs = batch.Inputs;
        var positions = inputs.Graph.Positions.to_type(model.Dtype).detach().requires_grad_(computeForces);
        var cell = inputs.Graph.Cell.to_type(model.Dtype);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, cell));
        var reference = inputs.Density!;
        Tensor density, features, fermi;
        ScfResult? scf = null;
        bool fallback = false;
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
            var scfOptions = (options.Scf ?? throw new ArgumentException($"mode {options.Mode} needs an scf block"));
            var (p0, mu0, charge) = model.InitialState(geometry, inputs, scfOptions);
            (density, fermi, features) = (null!, null!, null!);
            if (options.Mode is TrainingMode.Implicit or TrainingMode.LinearizeSolve)
            {
                // Converge without a graph, then make the solution differentiable (docs/math.md, "Implicit differentiation").
                scf = ScfRunner.Run(geometry, scfOptions, p0, mu0, charge, keepGraph: false);
                var solved = scf.Status.Contains(ScfStatus.Diverged) ? null
                    : LinearizedSolution.Solve(geometry, scf.Density, scf.FermiLevel, charge, scfOptions.ConstantCharge,
                        differentiableJacobian: training && (options.Mode == TrainingMode.LinearizeSolve || createGraph), denseJacobianLimit);
                if (solved is { } s) (density, fermi, features) = (s.Density, s.FermiLevel, geometry.Features(s.Density, s.FermiLevel.index_select(0, batch.Batch)));
                else
                {
                    // A poor solve falls back to a short unroll (reported per epoch).
                    fallback = true;
                    scfOptions = scfOptions with { NumScfSteps = Math.Clamp(scf.Steps.Max() + 1, 2, FallbackSteps) };
                }
            }
            if (density is null)
            {
                scf = ScfRunner.Run(geometry, scfOptions, p0, mu0, charge, keepGraph: true);
                (density, fermi, features) = (scf.Density, scf.FermiLevel, scf.Features);
            }
        }
        var energy = model.Energy(geometry, density, features).Total;
        Tensor? forces = null;
        if (computeForces)
            forces = -autograd.grad([energy], [positions], [ones_like(energy)], retain_graph: createGraph || training, create_graph: createGraph,
                allow_unused: true)[0] ?? zeros_like(positions);
        var muNode = fermi.index_select(0, batch.Batch);
        return new TrainingOutputs(energy, forces, density, geometry.Plan.TotalCharge(density), geometry.Plan.TotalDipole(density), fermi,
            esps ? (geometry.Plan.Potential(density), geometry.Plan.Potential(reference)) : null,
            fieldFeatures ? (geometry.Features(density, muNode), geometry.Features(reference, muNode)) : null, scf, fallback,
            stability ? ScfStability.Ratio(geometry, density, muNode) : null);
    }
}
