using MaceScf.Data;
using MaceScf.Electrostatics;

namespace MaceScf.Synthetic;

/// Writes a structure and its teacher labels as a <see cref="Configuration"/> under the canonical
/// keys of <see cref="KeyMapping.Default"/> (energy, forces, atomic_multipoles, total_charge,
/// fermi_level, dipole, external_field) plus config_type, config_dipole_weight and the teacher's
/// parameters as teacher_* info values (docs/synth.md).
internal static class SyntheticFrame
{
    public static Configuration Create(string systemName, int seed, int frameIndex,
        SyntheticStructure structure, TeacherSolution solution, TeacherParameters parameters)
    {
        var frame = new Configuration(structure.AtomicNumbers, structure.Positions, structure.Cell, structure.Pbc);
        frame.Info[PropertyKeys.ConfigType] = systemName;
        frame.Info[PropertyKeys.Energy] = solution.Energy;
        frame.Info[PropertyKeys.TotalCharge] = solution.TotalCharge;
        frame.Info[PropertyKeys.FermiLevel] = solution.FermiLevel;
        frame.Info[PropertyKeys.Dipole] = solution.Dipole;
        frame.Info[PropertyKeys.DipoleWeight] = structure.DipoleWeights;
        frame.Info[PropertyKeys.ExternalField] = structure.ExternalField;
        if (solution.Stress is { } stress) frame.Info[PropertyKeys.Stress] = stress;

        var options = parameters.Electrostatics;
        var elements = parameters.Elements;
        frame.Info["teacher_system"] = systemName;
        frame.Info["teacher_seed"] = (long)seed;
        frame.Info["teacher_frame"] = (long)frameIndex;
        frame.Info["teacher_constraint"] = structure.Constraint.Name;
        frame.Info["teacher_method"] = solution.Method.ToName();
        frame.Info["teacher_smearing_width"] = options.SmearingWidth;
        frame.Info["teacher_self_interaction"] = options.IncludeSelfInteraction;
        if (solution.Method != BoundaryMethod.Realspace) frame.Info["teacher_kspace_cutoff_factor"] = options.KspaceCutoffFactor;
        frame.Info["teacher_elements"] = elements.Select(e => (long)e.AtomicNumber).ToArray();
        frame.Info["teacher_electronegativity"] = elements.Select(e => e.Electronegativity).ToArray();
        frame.Info["teacher_hardness"] = elements.Select(e => e.Hardness).ToArray();
        frame.Info["teacher_polarisability"] = elements.Select(e => e.Polarisability).ToArray();
        frame.Info["teacher_repulsion_radius"] = elements.Select(e => e.RepulsionRadius).ToArray();
        frame.Info["teacher_repulsion"] = new[] { parameters.RepulsionStrength, parameters.RepulsionDecay, parameters.RepulsionCutoff };
        frame.Info["teacher_internal_energy"] = solution.InternalEnergy;
        frame.Info["teacher_coulomb_energy"] = solution.CoulombEnergy;
        frame.Info["teacher_short_range_energy"] = solution.ShortRangeEnergy;

        if (structure.Electrodes is { } electrodes)
        {
            // The conditions of the capacitor (docs/response.md) and the teacher's answer per region and exact capacitance.
            frame.Arrays[PropertyKeys.ElectrodeRegion] = electrodes.Regions.Select(r => (long)r).ToArray();
            frame.Info[PropertyKeys.ElectrodeFermiLevels] = electrodes.FermiLevels;
            frame.Info[PropertyKeys.ElectrolyteCharge] = structure.Constraint.IsFixedFermiLevel ? solution.RegionCharges![0] : structure.Constraint.Value;
            frame.Info["teacher_region_charges"] = solution.RegionCharges!;
            frame.Info["teacher_capacitance"] = TeacherCapacitance.Of(parameters, structure).Cast<double>().ToArray();
        }
        frame.Arrays[PropertyKeys.Forces] = solution.Forces;
        frame.Arrays[PropertyKeys.AtomicMultipoles] = solution.Multipoles;
        // The teacher's exact response in the frame's own ensemble (docs/response.md): Born charges N × 9, polarizability 9 values;
        // not defined with electrodes (no response labels there).
        if (structure.Electrodes is null)
        {
            var response = TeacherResponse.Of(parameters, structure);
            frame.Arrays[PropertyKeys.BornCharges] = response.BornCharges;
            frame.Info[PropertyKeys.Polarizability] = (structure.Constraint.IsFixedFermiLevel ? response.PolarizabilityAtFermiLevel : response.Polarizability)
                .Cast<double>().ToArray();
        }
        return frame;
    }
}
