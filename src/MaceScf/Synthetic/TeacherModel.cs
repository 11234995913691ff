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
        var (p, mu) = DensitySolver.Solve(form, structure.Constraint);
        // p* minimises E (constant Q) or Ω = E + μQ (constant μ), so the forces and the stress are Hellmann–Feynman:
        // −∂E/∂R and ∂E/∂ε at frozen p*; the reservoir term μQ does not depend on R or ε at fixed p.
        var energy = functional.Energy(p);
        var grads = Gradients.Of([energy], periodic ? [functional.Positions, functional.Displacement!] : [functional.Positions]);
        var forces = -grads[0];
        double charge = functional.TotalCharge(p).item<double>();
        double fermiLevel = mu.item<double>();
        double internalEnergy = energy.item<double>();
        return new TeacherSolution
        {
            Multipoles = TensorArrays.ToMatrix(p),
            Energy = structure.Constraint.IsFixedFermiLevel ? internalEnergy + fermiLevel * charge : internalEnergy,
            InternalEnergy = internalEnergy,
            CoulombEnergy = functional.CoulombEnergy(p).item<double>(),
            ShortRangeEnergy = functional.ShortRange.item<double>(),
            Forces = TensorArrays.ToMatrix(forces),
            FermiLevel = fermiLevel,
            TotalCharge = charge,
            Dipole = functional.TotalDipole(p).detach().data<double>().ToArray(),
            Stress = periodic ? TensorArrays.ToMatrix(grads[1] / functional.Volume) : null,
            Method = functional.Method,
        };
    }
}
