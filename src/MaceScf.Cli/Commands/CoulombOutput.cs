using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;

namespace MaceScf.Cli.Commands;

/// The output frame of `macescf coulomb`: the input frame with the results and the options used
/// added (keys of the same name are replaced).
internal static class CoulombOutput
{
    public static Configuration Frame(CoulombInput input, CalculatorResults result, CoulombSettings settings,
        FieldFeatureNorms norms, double? fermiLevelShift)
    {
        var source = input.Configuration;
        var frame = new Configuration(source.AtomicNumbers, source.Positions, source.Cell, source.Pbc)
        {
            SourceName = source.SourceName, FrameIndex = source.FrameIndex, SourceLine = source.SourceLine,
        };
        foreach (var (key, value) in source.Info) frame.Info[key] = value;
        foreach (var (key, value) in source.Arrays) frame.Arrays[key] = value;

        var options = settings.Options;
        var (method, kVectors) = result.Electrostatics!.Value;
        frame.Info["electrostatic_energy"] = result.Terms["coulomb"];
        frame.Info["electrostatic_field_energy"] = result.Terms["external_field"];
        frame.Info["electrostatic_total_energy"] = result.Energy;
        frame.Info["dipole"] = result.Dipole!;
        frame.Info["coulomb_method"] = method.ToName();
        frame.Info["coulomb_multipoles_key"] = settings.MultipolesKey;
        frame.Info["coulomb_multipoles_max_l"] = (long)options.DensityMaxL;
        frame.Info["coulomb_smearing_width"] = options.SmearingWidth;
        frame.Info["coulomb_field_feature_widths"] = options.FieldFeatureWidths.ToArray();
        frame.Info["coulomb_field_feature_max_l"] = (long)options.FieldFeatureMaxL;
        frame.Info["coulomb_field_feature_norms"] = norms.PerDegreeAndWidth.ToArray();
        frame.Info["coulomb_self_interaction"] = options.IncludeSelfInteraction;
        frame.Info["coulomb_field_si"] = options.IncludeFieldSelfInteraction;
        if (method != BoundaryMethod.Realspace)
        {
            frame.Info["coulomb_kspace_method"] = result.Kspace!.Method.ToName();
            frame.Info["coulomb_k_vectors"] = (long)kVectors;
            if (result.Kspace.Mesh is { } mesh)
            {
                frame.Info["coulomb_electrostatics_accuracy"] = options.ElectrostaticsAccuracy;
                frame.Info["coulomb_pme_grid"] = result.Kspace.Grid!.Select(k => (double)k).ToArray();
                frame.Info["coulomb_pme_order"] = (long)mesh.Order;
                frame.Info["coulomb_pme_spacing"] = mesh.Spacing;
                frame.Info["coulomb_pme_estimated_error"] = mesh.EstimatedError;
            }
            else
            {
                frame.Info["coulomb_kspace_cutoff_factor"] = options.KspaceCutoffFactor;
                frame.Info["coulomb_kspace_cutoff"] = options.KspaceCutoff;
            }
        }
        if (input.ExternalField is { } field) frame.Info["coulomb_external_field"] = field;
        if (fermiLevelShift is { } shift) frame.Info["coulomb_fermi_level_shift"] = shift;

        frame.Arrays["electrostatic_forces"] = result.Forces!;
        frame.Arrays["electrostatic_potential"] = result.Potential!;
        frame.Arrays["field_features"] = norms.Apply(result.FieldFeatures!);
        return frame;
    }
}
