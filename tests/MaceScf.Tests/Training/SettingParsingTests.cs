using MaceScf.Training;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Tests.Training;

/// Dict, list and None/average settings, from the file and as command-line strings.
public class SettingParsingTests
{
    const string Base = ConfigFixture.Required + ConfigFixture.DirectSchedule;

    [Fact]
    public void Update_config_from_a_python_dict_string()
    {
        var config = ConfigFixture.Load(Base, "--fixedpoint_update_config",
            "{'type': 'OneBodyVariableUpdate', 'potential_embedding_cls': 'BiasedLinearPotentialEmbedding'}");
        var update = config.Get(FixedpointUpdateConfig);
        Assert.Equal("OneBodyVariableUpdate", update.Type);
        Assert.Equal("BiasedLinearPotentialEmbedding", update["potential_embedding_cls"]);
        Assert.Null(update["nonlinearity_cls"]);
    }

    [Fact]
    public void Readout_config_from_a_json_string_and_update_config_from_a_yaml_mapping_with_arguments()
    {
        var config = ConfigFixture.Load(Base + """
            fixedpoint_update_config:
              type: ManyBodyUpdate
              nonlinearity_cls: MLPNonLinearity
              correlation: 2
              scale: 0.5
              use_sc: True
              label: "7"
            """, "--field_readout_config", "{\"type\": \"OneBodyMLPFieldReadout\"}");
        Assert.Equal("OneBodyMLPFieldReadout", config.Get(FieldReadoutConfig).Type);
        var update = config.Get(FixedpointUpdateConfig);
        Assert.Equal("ManyBodyUpdate", update.Type);
        Assert.Equal("MLPNonLinearity", update["nonlinearity_cls"]);
        Assert.Equal(2L, update["correlation"]);
        Assert.Equal(0.5, update["scale"]);
        Assert.Equal(true, update["use_sc"]);
        Assert.Equal("7", update["label"]);
    }

    [Fact]
    public void Unknown_block_type_lists_the_valid_ones()
    {
        var e = ConfigFixture.Fails(Base, "--field_readout_config", "{'type': 'StrictQuadraticFieldReadout'}");
        Assert.Equal("command line --field_readout_config: type: unknown type 'StrictQuadraticFieldReadout'; valid: StrictQuadraticFieldEnergyReadout, " +
            "NullFieldReadout, OneBodyMLPFieldReadout, ManyBodyChargesReadout, ManyBodyChargesFieldReadout, QuadraticChargesEnergyReadout, " +
            "LinearChargesEnergyReadout (did you mean 'StrictQuadraticFieldEnergyReadout'?)", e.Message);
    }

    [Fact]
    public void Unknown_class_names_and_class_keys_are_errors()
    {
        var e = ConfigFixture.Fails(Base + "fixedpoint_update_config: {type: OneBodyVariableUpdate, nonlinearity_cls: MLPNonlinearity}\n");
        Assert.Equal("fixedpoint_update_config.nonlinearity_cls", e.KeyPath);
        Assert.Equal(15, e.Line);
        Assert.Contains("valid: NoNonLinearity, MLPNonLinearity, ShallowNonLinearity, SkipMLPLinearity (did you mean 'MLPNonLinearity'?)", e.Message);
        var key = ConfigFixture.Fails(Base + "fixedpoint_update_config: {type: OneBodyVariableUpdate, nonlinear_cls: NoNonLinearity}\n");
        Assert.Contains("unknown class key 'nonlinear_cls'", key.Message);
        Assert.Contains("needs a type", ConfigFixture.Fails(Base, "--fixedpoint_update_config", "{nonlinearity_cls: NoNonLinearity}").Message);
    }

    [Fact]
    public void Atom_density_scaling_accepts_none_average_and_a_dict()
    {
        Assert.Equal(SettingMode.None, ConfigFixture.Load(Base, "--atom_density_scaling", "None").Get(AtomDensityScaling).Mode);
        Assert.Equal(SettingMode.Average, ConfigFixture.Load(Base, "--atom_density_scaling", "average").Get(AtomDensityScaling).Mode);
        var scaling = ConfigFixture.Load(Base, "--atom_density_scaling", "{1: 0.5, 8: 2.0}").Get(AtomDensityScaling);
        Assert.Equal(SettingMode.Explicit, scaling.Mode);
        Assert.Equal(new Dictionary<int, double> { [1] = 0.5, [8] = 2.0 }, scaling.Values);
        var fromFile = ConfigFixture.Load(Base + "atom_density_scaling: \"{1: 0.5, 8: 2.0}\"\n").Get(AtomDensityScaling);
        Assert.Equal(2.0, fromFile.Values[8]);
    }

    [Fact]
    public void Atom_density_scaling_rejects_bad_keys_and_values()
    {
        Assert.Contains("keys must be atomic numbers", ConfigFixture.Fails(Base, "--atom_density_scaling", "{H: 0.5}").Message);
        Assert.Contains("must be greater than 0", ConfigFixture.Fails(Base, "--atom_density_scaling", "{1: 0.0}").Message);
        var e = ConfigFixture.Fails(Base + "atom_density_scaling: averaged\n");
        Assert.Equal(15, e.Line);
        Assert.Contains("expected None, average or a dict such as {1: 0.5, 8: 2.0}, got 'averaged'", e.Message);
        var inQuotedDict = ConfigFixture.Fails(Base + "atom_density_scaling: \"{1: 0.5, 8: big}\"\n");
        Assert.Equal((15L, "atom_density_scaling.8"), (inQuotedDict.Line!.Value, inQuotedDict.KeyPath));
    }

    [Fact]
    public void E0s_accept_none_average_dict_and_json_file()
    {
        var config = ConfigFixture.Load(Base + "E0s: \"{1: -12.67, 8: -2041.04}\"\n", out string folder);
        Assert.Equal(-2041.04, config.Get(E0s).Values[8]);
        Assert.Equal(SettingMode.Average, ConfigFixture.Load(Base, "--E0s", "average").Get(E0s).Mode);
        var file = ConfigFixture.Load(Base + "E0s: e0s.json\n", out string jsonFolder).Get(E0s);
        Assert.Equal((SettingMode.File, Path.Combine(jsonFolder, "e0s.json")), (file.Mode, file.FilePath));
        Assert.Contains("a .json file", ConfigFixture.Fails(Base, "--E0s", "e0s.txt").Message);
        Assert.NotEmpty(folder);
    }

    [Fact]
    public void Field_feature_norms_accept_none_average_and_a_list_of_the_right_length()
    {
        Assert.Equal(SettingMode.None, ConfigFixture.Load(Base, "--field_feature_norms", "None").Get(FieldFeatureNorms).Mode);
        var config = ConfigFixture.Load(Base, "--field_feature_widths", "[1.5, 3.0]", "--field_feature_norms", "[25.0,25.0,1.0,1.0]");
        Assert.Equal([1.5, 3.0], config.Get(FieldFeatureWidths));
        Assert.Equal([25.0, 25.0, 1.0, 1.0], config.Get(FieldFeatureNorms).Values);
        var e = ConfigFixture.Fails(Base + "field_feature_norms: [25.0, 1.0]\n");
        Assert.Equal(15, e.Line);
        Assert.Contains("needs len(field_feature_widths) × (field_feature_max_l + 1) = 2 × 2 = 4 values, got 2", e.Message);
        var none = ConfigFixture.Load(Base, "--field_feature_max_l", "None", "--atomic_multipoles_max_l", "0", "--field_feature_norms", "[2.0, 3.0]");
        Assert.Equal(0, none.EffectiveFieldFeatureMaxL);
    }

    [Fact]
    public void Lists_and_optional_numbers()
    {
        var config = ConfigFixture.Load(Base + "radial_MLP: [32, 32]\nclip_grad: None\nconfig_type_weights: {Default: 1.0, slab: 2.0}\n",
            "--fermi_level_offset", "-4.5", "--valid_set_seed", "None");
        Assert.Equal([32, 32], config.Get(RadialMlp));
        Assert.Null(config.Get(ClipGrad));
        Assert.Equal(2.0, config.Get(ConfigTypeWeights)["slab"]);
        Assert.Equal(-4.5, config.Get(FermiLevelOffset));
        Assert.Null(config.Get(ValidSetSeed));
        Assert.Contains("entries must be positive", ConfigFixture.Fails(Base, "--field_feature_widths", "[1.0, -2.0]").Message);
        Assert.Contains("expected a list of numbers", ConfigFixture.Fails(Base, "--field_feature_widths", "1.5").Message);
    }
}
