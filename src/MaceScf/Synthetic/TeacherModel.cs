using MaceScf.Calculators;
using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The polarisable charge-equilibration teacher: solves for the density of a structure and
/// returns its exact energy, forces and multipoles (docs/synth.md).
internal sealed class TeacherModel(TeacherParameters parameters)
{
    public TeacherParameters Parameters { get; } = parameters;

    public TeacherSolution Solve(SyntheticStructure structure)
    {
        using var scope = NewDisposeScope();
        bool periodic = structure.Pbc.All(p => p);
        using var functional = new TeacherFunctional(Parameters, structure, strain: periodic);
        using var form = QuadraticForm.Of(functional);
        var electrodes = structure.Electrodes;
        var (p, mu) = DensitySolver.Solve(form, structure.Constraint, electrodes);
        // p* minimises E (constant Q) or Ω = E + μQ (constant μ; with electrodes + Σ_r μ_r Q_r), so the forces and the stress
        // are Hellmann–Feynman: −∂E/∂R and ∂E/∂ε at frozen p*; the reservoir terms μQ do not depend on R or ε at fixed p.
        var energy = functional.Energy(p);
        var grads = Gradients.Of([energy], periodic ? [functional.Positions, functional.Displacement!] : [functional.Positions]);
        var forces = -grads[0];
        double charge = functional.TotalCharge(p).item<double>();
        double fermiLevel = mu.item<double>();
        double internalEnergy = energy.item<double>();
        var multipoles = TensorArrays.ToMatrix(p);
        var regionCharges = electrodes?.RegionCharges(multipoles);
        double reservoirs = electrodes is null ? 0 : electrodes.FermiLevels.Select((m, r) => m * regionCharges![r + 1]).Sum();
        double held = electrodes is null ? charge : regionCharges![0];
        return new TeacherSolution
        {
            Multipoles = multipoles,
            Energy = internalEnergy + reservoirs + (structure.Constraint.IsFixedFermiLevel ? fermiLevel * held : 0),
            RegionCharges = regionCharges,
            InternalEnergy = internalEnergy,
            CoulombEnergy = functional.CoulombEnergy(p).item<double>(),
            ShortRangeEnergy = functional.ShortRange.item<double>(),
            Forces = TensorArrays.ToMatrix(forces),
            FermiLevel = fermiLevel,
            TotalCharge = charge,
            Dipole = functional.TotalDipole(p).detach().data<double>().ToArray(),
            Stress = periodic ? TensorArrays.ToMatrix(grads[1].DividedBy(functional.Volume)) : null,
            Method = functional.Method,
        };
    }
}
