using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Training;

/// Rules that involve more than one option, checked once all layers are merged. Each error
/// names the option and where its value came from.
internal static class ConfigValidator
{
    public static void Validate(TrainingConfig config)
    {
        foreach (var option in All.Where(o => o.Required))
            if (config.SourceOf(option) == ValueSource.Default)
                throw new ConfigurationException("configuration", null, null, option.Name,
                    $"is required: set it in the config file or with --{option.Name}");

        if (!config.Get(ComputeForces)) throw Error(config, ComputeForces, "must be true: force training needs autograd forces");
        if (config.Get(FieldNormFactor) != 1.0)
            throw Error(config, FieldNormFactor, $"is {config.Get(FieldNormFactor)}, but no update block uses it (the Python implementation stores "
                + "it and never reads it): only 1.0 is accepted; scale the field features with field_feature_norms");

        ModelClassRules.Check(config);

        CheckIrreps(config);
        if (config.Get(TrainingOptions.E0s).Mode == SettingMode.Foundation && config.Get(FoundationModel) is null)
            throw Error(config, TrainingOptions.E0s, "foundation takes the E0s of foundation_model, which is not set");

        int maxL = ElectrostaticsOptions.MaxSupportedL;
        if (config.Get(AtomicMultipolesMaxL) > maxL)
            throw Error(config, AtomicMultipolesMaxL, $"must be at most {maxL}, got {config.Get(AtomicMultipolesMaxL)}");
        if (config.Get(FieldFeatureMaxL) > maxL)
            throw Error(config, FieldFeatureMaxL, $"must be at most {maxL}, got {config.Get(FieldFeatureMaxL)}");

        var norms = config.Get(TrainingOptions.FieldFeatureNorms);
        int widths = config.Get(FieldFeatureWidths).Count;
        int expected = widths * (config.EffectiveFieldFeatureMaxL + 1);
        if (norms.Mode == SettingMode.Explicit && norms.Values.Count != expected)
            throw Error(config, TrainingOptions.FieldFeatureNorms,
                $"needs len(field_feature_widths) × (field_feature_max_l + 1) = {widths} × {config.EffectiveFieldFeatureMaxL + 1} = {expected} values, got {norms.Values.Count}");

        var schedule = config.Schedule;
        if (schedule.LastEpoch >= config.Get(MaxNumEpochs))
            throw Error(config, MaxNumEpochs,
                $"is {config.Get(MaxNumEpochs)} but the train_schedule runs to epoch {schedule.LastEpoch}; raise max_num_epochs above the last stage's end");

        foreach (var stage in schedule.Stages)
            if (stage.Loss.Any(t => t.Name == "esps") && !config.Get(ReturnElectrostaticPotentials))
                throw Error(config, TrainingOptions.TrainSchedule,
                    $"stage {stage.Index} ({stage.Name}) uses the esps loss, which needs return_electrostatic_potentials: true");
    }

    static void CheckIrreps(TrainingConfig config)
    {
        int? channels = config.Get(NumChannels), maxL = config.Get(MaxL);
        if (channels is null != maxL is null)
            throw Error(config, channels is null ? MaxL : NumChannels, "num_channels and max_L must be given together");
        if (channels is null && config.Get(HiddenIrreps) is null && config.Get(FoundationModel) is null)
            throw new ConfigurationException("configuration", null, null, HiddenIrreps.Name,
                "the hidden irreps are not set: give hidden_irreps (e.g. '64x0e+64x1o') or num_channels and max_L");
        if (config.Get(MlpIrreps) is null) throw Error(config, MlpIrreps, "must be set, e.g. '16x0e'");
        foreach (var option in new[] { HiddenIrreps, MlpIrreps })
        {
            if (config.Get(option) is not string text) continue;
            try
            {
                if (Irreps.Parse(text).Count == 0) throw new FormatException("no irreps");
            }
            catch (FormatException e)
            {
                throw Error(config, option, $"'{text}' is not an irreps string such as '64x0e+64x1o' ({e.Message})");
            }
        }
    }

    static ConfigurationException Error(TrainingConfig config, Option option, string problem) =>
        config.ValueOf(option).Origin.Error(option.Name, problem);
}
