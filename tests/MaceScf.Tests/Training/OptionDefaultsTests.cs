using System.Collections;
using MaceScf.Cli;
using MaceScf.Cli.Commands;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// Each default of the architecture, electrostatics and SCF options has one source, the record the model or the SCF is built
/// from (docs/design.md, "Where each default lives"): the option registry (config.yaml, `macescf train`), `macescf coulomb`,
/// `macescf eval`/`ipi` and their help texts give the same values.
public class OptionDefaultsTests
{
    static readonly MaceHyperparameters Mace = new() { AtomicNumbers = [] };
    static readonly FixedPointHyperparameters FixedPoint = new() { Mace = Mace };
    static readonly ElectrostaticsOptions Electrostatics = new();
    static readonly ScfOptions Scf = new();
    static readonly LocalSourceHyperparameters QEq = new() { Class = MaceScf.Models.ModelClass.MACEQEq, Mace = Mace };

    public static TheoryData<string, object?> RecordDefaults => new()
    {
        { "r_max", Mace.RMax },
        { "num_radial_basis", Mace.NumBessel },
        { "num_cutoff_basis", Mace.NumPolynomialCutoff },
        { "max_ell", Mace.MaxEll },
        { "interaction", Mace.Interaction },
        { "interaction_first", Mace.InteractionFirst },
        { "num_interactions", Mace.NumInteractions },
        { "hidden_irreps", Mace.HiddenIrreps },
        { "num_channels", Mace.NumChannels },
        { "max_L", Mace.MaxL },
        { "correlation", Mace.Correlation },
        { "gate", Mace.Gate },
        { "MLP_irreps", Mace.MlpIrreps },
        { "radial_MLP", Mace.RadialMlp },
        { "avg_num_neighbors", Mace.AvgNumNeighbors },
        { "atomic_multipoles_max_l", Electrostatics.DensityMaxL },
        { "atomic_multipoles_smearing_width", Electrostatics.SmearingWidth },
        { "kspace_cutoff_factor", Electrostatics.KspaceCutoffFactor },
        { "kspace_method", Electrostatics.KspaceMethod },
        { "electrostatics_accuracy", Electrostatics.ElectrostaticsAccuracy },
        { "electrostatic_pbc_method", Electrostatics.Method },
        { "include_electrostatic_self_interaction", Electrostatics.IncludeSelfInteraction },
        { "field_feature_max_l", Electrostatics.FieldFeatureMaxL },
        { "field_feature_widths", Electrostatics.FieldFeatureWidths },
        { "include_field_si", Electrostatics.IncludeFieldSelfInteraction },
        { "include_local_electron_energy", FixedPoint.IncludeLocalElectronEnergy },
        { "use_linear_local_charges", FixedPoint.UseLinearLocalCharges },
        { "formal_charges_from_data", QEq.FormalChargesFromData },
        { "compute_polarizability", QEq.ComputePolarizability },
        { "train_hardness", QEq.TrainHardness },
        { "default_hardness", QEq.DefaultHardness },
        { "inference_num_scf_steps", Scf.NumScfSteps },
        { "inference_scf_tolerance", Scf.ScfTolerance },
    };

    [Fact]
    public void EveryRegistryOptionNamedLikeARecordPropertyIsChecked()
    {
        // The architecture and electrostatics sections hold the options the model records take; a new one there must be
        // added to RecordDefaults (or to the options without a record default below).
        string[] noRecordDefault = ["radial_type", "compute_avg_num_neighbors", "return_electrostatic_potentials", "field_feature_norms",
            "field_norm_factor", "fermi_level_offset", "scaling", "atomic_formal_charges"];
        var checkedNames = RecordDefaults.Select(row => (string)row[0]).ToHashSet();
        var sections = new[] { OptionSection.Architecture, OptionSection.Electrostatics, OptionSection.FieldFeatures };
        var unchecked_ = TrainingOptions.All.Where(o => sections.Contains(o.Section) && !checkedNames.Contains(o.Name) && !noRecordDefault.Contains(o.Name));
        Assert.Empty(unchecked_.Select(o => o.Name));
    }

    [Theory]
    [MemberData(nameof(RecordDefaults))]
    public void TheRegistryDefaultIsTheRecordDefault(string name, object? expected)
    {
        var option = TrainingOptions.Find(name);
        Assert.NotNull(option);
        object? actual = option.DefaultValue(null);
        if (expected is IEnumerable list and not string) Assert.Equal(list.Cast<object>(), Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object>());
        else Assert.Equal(expected, actual);
    }

    [Fact]
    public void AConfigWithoutElectrostaticsOptionsHasTheRecordDefaults()
    {
        var config = ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule);
        AssertDefaults(config.Electrostatics);
    }

    [Fact]
    public void CoulombWithoutElectrostaticsOptionsHasTheRecordDefaults()
    {
        var command = new CoulombCommand();
        var settings = CoulombSettings.Read(new CommandLine(["frames.xyz", "--multipoles-key", "q"], command.Flags));
        AssertDefaults(settings.Options);
    }

    [Fact]
    public void EvalWithoutScfOptionsHasTheScfOptionsDefaults() =>
        Assert.Equal(Scf, ScfFlags.Read(new CommandLine([], new HashSet<string>())));

    /// The `(default X)` of every option line of the SCF help is the value `macescf eval` uses without that option.
    [Fact]
    public void TheScfHelpStatesTheScfOptionsDefaults()
    {
        var stated = HelpDefaults(ScfFlags.Help);
        Assert.Equal(["num_scf_steps", "scf_tolerance", "constant_charge", "mixing_parameter", "scf_mixer", "anderson_depth", "initial_density",
            "initial_fermi_level", "forces_method", "use_autograd_forces"], stated.Keys);
        foreach (var (name, text) in stated)
            Assert.Equal(Scf, ScfFlags.Read(new CommandLine(["--" + name, text], new HashSet<string>())));
    }

    /// The `(default: X)` of each electrostatics option in `macescf coulomb --help` is the value coulomb uses without it.
    [Fact]
    public void TheCoulombHelpStatesTheElectrostaticsOptionsDefaults()
    {
        var stated = HelpDefaults(new CoulombCommand().Help);
        string[] electrostatics = ["atomic_multipoles_max_l", "atomic_multipoles_smearing_width", "electrostatic_pbc_method", "kspace_cutoff_factor",
            "kspace_method", "electrostatics_accuracy", "include_electrostatic_self_interaction", "field_feature_widths", "field_feature_max_l"];
        Assert.All(electrostatics, name => Assert.Contains(name, stated.Keys));
        foreach (var name in electrostatics)
        {
            var settings = CoulombSettings.Read(new CommandLine(["frames.xyz", "--multipoles-key", "q", "--" + name, stated[name]], new HashSet<string>()));
            AssertDefaults(settings.Options);
        }
        Assert.Equal("off", stated["include_field_si"]);
        Assert.False(Electrostatics.IncludeFieldSelfInteraction);
    }

    /// Option name → the default its help line states: `--name ARG   text (default X)` or `(default: X)`, the default possibly on a
    /// continuation line.
    static Dictionary<string, string> HelpDefaults(string help)
    {
        var defaults = new Dictionary<string, string>();
        string? option = null;
        foreach (var line in help.Split('\n'))
        {
            var start = System.Text.RegularExpressions.Regex.Match(line, @"^\s*--([a-zA-Z_-]+)");
            if (start.Success) option = start.Groups[1].Value.Replace('-', '_');
            var stated = System.Text.RegularExpressions.Regex.Match(line, @"\(default:? ([^)]*(?:\([^)]*\))?[^)]*)\)\s*$");
            if (option is not null && stated.Success) defaults[option] = stated.Groups[1].Value;
        }
        return defaults;
    }

    static void AssertDefaults(ElectrostaticsOptions options)
    {
        Assert.Equal(Electrostatics.FieldFeatureWidths, options.FieldFeatureWidths);
        Assert.Equal(Electrostatics, options with { FieldFeatureWidths = Electrostatics.FieldFeatureWidths });
    }
}
