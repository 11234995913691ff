using MaceScf.FixedPoint;

namespace MaceScf.Models;

/// How a self-consistent model reaches its solution and differentiates it (the training modes of
/// `fixed_point_training_options.mode`; inference picks <see cref="Unroll"/> or <see cref="Implicit"/> from forces_method).
internal enum SolutionMethod
{
    /// One update from <see cref="SystemInputs.Start"/> at its Fermi level (teacher forcing; direct training).
    Direct,
    /// The SCF loop kept on the autograd graph: derivatives of the SCF that was run.
    Unroll,
    /// Converge without a graph, then differentiate the fixed point implicitly (one adjoint solve).
    Implicit,
    /// As <see cref="Implicit"/>, with the linearised problem's Jacobian kept on the graph.
    LinearizeSolve,
}

/// What a prediction should contain and how to compute it.
internal sealed record PredictionRequest
{
    /// Forces −∂E/∂r.
    public bool Forces { get; init; } = true;

    /// Stress and virials by a symmetric strain (periodic structures).
    public bool Stress { get; init; }

    /// The SCF settings (models without an SCF ignore them).
    public ScfOptions Scf { get; init; } = new();

    /// How the SCF solution is reached and differentiated; null: from <see cref="ScfOptions.ForcesMethod"/>.
    public SolutionMethod? Method { get; init; }

    /// Keep the graph of the forces so they can be differentiated again (force training).
    public bool CreateGraph { get; init; }

    /// The outputs will be differentiated with respect to the parameters afterwards (training): graphs are kept.
    public bool Training { get; init; }

    /// Most SCF steps of the unroll that replaces a failed implicit solution; null: the SCF settings' own number of steps
    /// (inference: the unroll is the same SCF, differentiated differently).
    public int? FallbackStepLimit { get; init; }

    /// Unknowns up to which the implicit solve builds the Jacobian densely; null: <see cref="FixedPoint.LinearizedSolution.DenseLimit"/>
    /// in training (where the Jacobian can stay on the graph), otherwise always matrix-free (GMRES).
    public int? DenseJacobianLimit { get; init; }

    /// Take the implicit Jacobian (dense) or its products (matrix-free) from the whole update map even when the update is one-body
    /// (the reference that the per-atom constructions, <see cref="FixedPoint.OneBodyJacobian"/> and
    /// <see cref="FixedPoint.OneBodyOperator"/>, are checked against).
    public bool MapProductJacobian { get; init; }

    /// Electrostatic potential at the atoms of the final density and of the start density (esps loss).
    public bool Potentials { get; init; }

    /// Field features of the final density and of the start density (field_features loss).
    public bool FieldFeatures { get; init; }

    /// The SCF-stability ratio of the map at the final density (fixedpoint_scf_stability loss).
    public bool Stability { get; init; }

    /// Born effective charges Z* = ∂P/∂r (docs/response.md): of the converged SCF solution (implicit), of the direct step or
    /// unrolled SCF when <see cref="Method"/> says so (on the graph), of a local-source model's polarisation.
    public bool BornCharges { get; init; }

    /// Polarizabilities ∂P/∂E (docs/response.md): of the converged SCF solution at constant charge and at constant Fermi level, of
    /// the direct step or unrolled SCF when <see cref="Method"/> says so, or LocalSplitCharges' polarizability readout.
    public bool Polarizability { get; init; }

    /// The solution method in effect.
    public SolutionMethod ResolvedMethod => Method ?? (Scf.ForcesMethod == ForcesMethod.Unroll ? SolutionMethod.Unroll : SolutionMethod.Implicit);

    /// Something will be differentiated: forces, stress, or the parameters.
    public bool Differentiated => Forces || Stress || CreateGraph || Training || ResponseOnGraph;

    /// Born charges or polarizability of a direct step or an unrolled SCF: derivatives of that graph, which must be kept.
    public bool ResponseOnGraph => (BornCharges || Polarizability) && Method is SolutionMethod.Direct or SolutionMethod.Unroll;

    /// Energy only, no derivatives.
    public static PredictionRequest EnergyOnly(ScfOptions? scf = null) => new() { Forces = false, Scf = scf ?? new() };
}
