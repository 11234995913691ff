using MaceScf.Data;
using MaceScf.Models;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Training;

/// What each `--model` class accepts (docs/training.md, "Model classes"): an option, loss or stage key that does not apply to
/// the chosen class is an error naming it and where it was set, never a silently ignored value.
internal static class ModelClassRules
{
    /// Losses every class can be trained on.
    static readonly string[] EnergyLosses = ["energy_per_atom", "forces", "stress", "virials"];

    /// Losses of a model whose multipoles are learned but not self-consistent.
    static readonly string[] LocalSourceLosses = [.. EnergyLosses, "atomic_multipoles", "charges", "total_charge", "total_charge_per_atom", "dipole", "dipole_per_atom"];

    /// Parameter groups of the MACE backbone (`GROUP_lr` of a stage).
    static readonly string[] MaceGroups = ["embedding", "interactions_decay", "interactions_no_decay", "products", "readouts"];

    /// Parameter groups of the fixed-point model.
    static readonly string[] FixedPointGroups = [.. MaceGroups, "lr_source_maps", "field_dependent_charges_map", "local_electron_energy", "layer_feature_mixer"];

    /// The options of the SCF: field features, update rule, field readout and the SCF of inference.
    static IEnumerable<Option> Scf => All.Where(o => o.Section is OptionSection.FieldFeatures or OptionSection.UpdateRule or OptionSection.Readouts)
        .Concat([InferenceEvalInterval, InferenceNumScfSteps, InferenceScfTolerance, InferenceMixingParameter, FieldBlockWeightDecay,
            ReturnElectrostaticPotentials]);

    /// The options of charge equilibration (MACEQEq).
    static readonly Option[] Equilibration = [TrainHardness, DefaultHardness];

    /// (losses, parameter groups, options that do not apply) of a class provided by macescf train, or null.
    static (string[] Losses, string[] Groups, Option[] Refused)? Rules(ModelClass c) => c switch
    {
        ModelClass.FixedPoint => (LossTerm.KnownNames.ToArray(), FixedPointGroups, [Scaling, AtomicFormalCharges, FormalChargesFromData, ComputePolarizability, .. Equilibration]),
        ModelClass.MACE or ModelClass.ScaleShiftMACE => (EnergyLosses, MaceGroups,
            [.. All.Where(o => o.Section == OptionSection.Electrostatics), .. Scf, LocalChargesWeightDecay]),
        ModelClass.LocalCharges => ([.. LocalSourceLosses, "born_charges"], [.. MaceGroups, "lr_source_maps"],
            [.. Scf.Where(o => o != TrainingOptions.AtomDensityScaling), Scaling, AtomicFormalCharges, FormalChargesFromData, ComputePolarizability, FoundationModel, .. Equilibration]),
        ModelClass.LocalSplitCharges => ([.. LocalSourceLosses, "polarizability", "born_charges"], [.. MaceGroups, "lr_source_maps", "polarizability_readouts"],
            [.. Scf, Scaling, FoundationModel, .. Equilibration]),
        ModelClass.FixedChargeBaselinedMACE => (EnergyLosses, MaceGroups, [.. Scf, Scaling, LocalChargesWeightDecay, FormalChargesFromData, ComputePolarizability, FoundationModel, .. Equilibration]),
        ModelClass.MACEQEq => (LocalSourceLosses, [.. MaceGroups, "enegs_readouts", "hardness_readouts"],
            [.. Scf, Scaling, AtomicFormalCharges, FormalChargesFromData, ComputePolarizability, LocalChargesWeightDecay, FoundationModel]),
        _ => null,
    };

    public static void Check(TrainingConfig config)
    {
        var modelClass = ModelClasses.Parse(config.Get(TrainingOptions.Model));
        string name = $"--model {modelClass}";
        var (losses, groups, refused) = Rules(modelClass) ?? throw config.ValueOf(TrainingOptions.Model).Origin.Error(TrainingOptions.Model.Name,
            $"{name} is not provided by macescf train yet; the classes provided are "
            + string.Join(", ", Enum.GetValues<ModelClass>().Where(c => Rules(c) is not null)));
        var schedule = config.ValueOf(TrainingOptions.TrainSchedule).Origin;
        foreach (var stage in config.Schedule.Stages)
        {
            string at = $"train_schedule.{stage.Index}";
            if (modelClass == ModelClass.FixedPoint && !stage.FixedPointOptionsGiven)
                throw schedule.Error(at, $"stage {stage.Index} needs 'fixed_point_training_options' (the SCF training mode of {name})");
            if (modelClass != ModelClass.FixedPoint && stage.FixedPointOptionsGiven)
                throw schedule.Error(at, $"stage {stage.Index} ({stage.Name}) has fixed_point_training_options, which only --model FixedPoint "
                    + $"has: {name} runs no SCF; remove them");
            if (stage.Loss.FirstOrDefault(t => !losses.Contains(t.Name)) is { } loss)
                throw schedule.Error($"{at}.loss.{loss.Name}", $"the {loss.Name} loss does not apply to {name} "
                    + $"(its losses: {string.Join(", ", losses)})");
            if (modelClass == ModelClass.FixedPoint && stage.FixedPointTrainingOptions.Mode is TrainingMode.Implicit or TrainingMode.LinearizeSolve
                && stage.Loss.FirstOrDefault(t => t.Name is "polarizability" or "born_charges") is { } response)
                throw schedule.Error($"{at}.loss.{response.Name}", $"the {response.Name} loss differentiates the response of the SCF again, which "
                    + $"mode {SnakeCase.Of(stage.FixedPointTrainingOptions.Mode)} (an implicit derivative) does not provide: use mode unroll_scf "
                    + "(or direct) for this stage");
            if (modelClass == ModelClass.LocalSplitCharges && !config.Get(ComputePolarizability) && stage.Loss.Any(t => t.Name == "polarizability"))
                throw schedule.Error($"{at}.loss.polarizability", $"the polarizability loss trains the polarizability readout of {name}: "
                    + "set compute_polarizability true");
            if (stage.GroupLr.FirstOrDefault(g => !groups.Contains(g.Key)) is { Key: not null } group)
                throw schedule.Error($"{at}.{group.Key}_lr", $"{name} has no parameter group {group.Key} (its groups: {string.Join(", ", groups)})");
        }
        // A rendered config.yaml lists every option at its value: only a value other than the default is refused.
        foreach (var option in refused)
            if (config.SourceOf(option) != ValueSource.Default && config.ValueOf(option).Text != option.DefaultText)
                throw config.ValueOf(option).Origin.Error(option.Name, $"does not apply to {name}; remove it");
        bool fromData = config.Get(FormalChargesFromData), perElement = config.Get(AtomicFormalCharges).Mode == SettingMode.Explicit;
        if (fromData && perElement)
            throw config.ValueOf(AtomicFormalCharges).Origin.Error(AtomicFormalCharges.Name,
                $"{name} takes the formal charges per element (atomic_formal_charges) or per atom (formal_charges_from_data), not both; remove one");
        if (modelClass is ModelClass.FixedChargeBaselinedMACE or ModelClass.LocalSplitCharges && !perElement && !fromData)
            throw config.ValueOf(AtomicFormalCharges).Origin.Error(AtomicFormalCharges.Name,
                $"{name} needs the charge of each element, e.g. {{11: 1.0, 17: -1.0}}"
                + (modelClass == ModelClass.LocalSplitCharges ? ", or formal_charges_from_data with the charge of each atom in the data" : ""));
        if (config.Get(TrainingOptions.Heads) is not { } heads) return;
        if (heads.ArraysKeys.GetValueOrDefault(PropertyKeys.Charges) is { } charges && charges != PropertyKeys.NoKey && !fromData)
            throw config.ValueOf(TrainingOptions.Heads).Origin.Error($"heads.{heads.HeadName}.arrays_keys.charges",
                $"per-atom formal charges are read only by --model LocalSplitCharges with formal_charges_from_data; remove the mapping");
        if (fromData && heads.ArraysKeys.GetValueOrDefault(PropertyKeys.Charges) is null or PropertyKeys.NoKey)
            throw config.ValueOf(FormalChargesFromData).Origin.Error(FormalChargesFromData.Name,
                $"reads the formal charge of every atom from the arrays key mapped to charges: add charges: <key> to heads.{heads.HeadName}.arrays_keys");
    }
}
