using MaceScf.Electrostatics;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Training;

/// The architecture hyperparameters of the seed (MACE backbone, density representation, field
/// features, update rule, readouts), named as the options, for building the model.
internal sealed record ArchitectureOptions
{
    /// --model.
    public required Models.ModelClass Class { get; init; }
    /// --scaling (MACE and ScaleShiftMACE).
    public required string Scaling { get; init; }
    public required double RMax { get; init; }
    public required string RadialType { get; init; }
    public required int NumRadialBasis { get; init; }
    public required int NumCutoffBasis { get; init; }
    public required int MaxEll { get; init; }
    public required string Interaction { get; init; }
    public required string InteractionFirst { get; init; }
    public required int NumInteractions { get; init; }
    public required string? HiddenIrreps { get; init; }
    public required int? NumChannels { get; init; }
    public required int? MaxL { get; init; }
    public required int Correlation { get; init; }
    public required string Gate { get; init; }
    public required string MlpIrreps { get; init; }
    public required IReadOnlyList<int> RadialMlp { get; init; }
    public required double AvgNumNeighbors { get; init; }
    public required bool ComputeAvgNumNeighbors { get; init; }
    public required ElectrostaticsOptions Electrostatics { get; init; }
    public required bool ReturnElectrostaticPotentials { get; init; }
    public required bool IncludeLocalElectronEnergy { get; init; }
    public required FieldFeatureNormsSetting FieldFeatureNorms { get; init; }
    public required double FieldNormFactor { get; init; }
    public required double? FermiLevelOffset { get; init; }
    public required BlockConfig FixedpointUpdateConfig { get; init; }
    public required bool UseLinearLocalCharges { get; init; }
    public required PerElementSetting AtomDensityScaling { get; init; }
    public required double FixedpointInitialChargeHeadScale { get; init; }
    public required BlockConfig FieldReadoutConfig { get; init; }

    public static ArchitectureOptions From(TrainingConfig c) => new()
    {
        Class = Models.ModelClasses.Parse(c.Get(TrainingOptions.Model)),
        Scaling = c.Get(TrainingOptions.Scaling),
        RMax = c.Get(TrainingOptions.RMax),
        RadialType = c.Get(TrainingOptions.RadialType),
        NumRadialBasis = c.Get(TrainingOptions.NumRadialBasis),
        NumCutoffBasis = c.Get(TrainingOptions.NumCutoffBasis),
        MaxEll = c.Get(TrainingOptions.MaxEll),
        Interaction = c.Get(TrainingOptions.Interaction),
        InteractionFirst = c.Get(TrainingOptions.InteractionFirst),
        NumInteractions = c.Get(TrainingOptions.NumInteractions),
        HiddenIrreps = c.Get(TrainingOptions.HiddenIrreps),
        NumChannels = c.Get(TrainingOptions.NumChannels),
        MaxL = c.Get(TrainingOptions.MaxL),
        Correlation = c.Get(TrainingOptions.Correlation),
        Gate = c.Get(TrainingOptions.Gate),
        MlpIrreps = c.Get(TrainingOptions.MlpIrreps)!,
        RadialMlp = c.Get(TrainingOptions.RadialMlp),
        AvgNumNeighbors = c.Get(TrainingOptions.AvgNumNeighbors),
        ComputeAvgNumNeighbors = c.Get(TrainingOptions.ComputeAvgNumNeighbors),
        Electrostatics = new ElectrostaticsOptions
        {
            SmearingWidth = c.Get(AtomicMultipolesSmearingWidth),
            DensityMaxL = c.Get(AtomicMultipolesMaxL),
            FieldFeatureWidths = c.Get(FieldFeatureWidths),
            FieldFeatureMaxL = c.EffectiveFieldFeatureMaxL,
            KspaceCutoffFactor = c.Get(KspaceCutoffFactor),
            KspaceMethod = c.Get(KspaceMethodOption),
            ElectrostaticsAccuracy = c.Get(TrainingOptions.ElectrostaticsAccuracy),
            Method = c.Get(ElectrostaticPbcMethod),
            IncludeSelfInteraction = c.Get(IncludeElectrostaticSelfInteraction),
            IncludeFieldSelfInteraction = c.Get(IncludeFieldSi),
        },
        ReturnElectrostaticPotentials = c.Get(TrainingOptions.ReturnElectrostaticPotentials),
        IncludeLocalElectronEnergy = c.Get(TrainingOptions.IncludeLocalElectronEnergy),
        FieldFeatureNorms = c.Get(TrainingOptions.FieldFeatureNorms),
        FieldNormFactor = c.Get(TrainingOptions.FieldNormFactor),
        FermiLevelOffset = c.Get(TrainingOptions.FermiLevelOffset),
        FixedpointUpdateConfig = c.Get(TrainingOptions.FixedpointUpdateConfig),
        UseLinearLocalCharges = c.Get(TrainingOptions.UseLinearLocalCharges),
        AtomDensityScaling = c.Get(TrainingOptions.AtomDensityScaling),
        FixedpointInitialChargeHeadScale = c.Get(TrainingOptions.FixedpointInitialChargeHeadScale),
        FieldReadoutConfig = c.Get(TrainingOptions.FieldReadoutConfig),
    };
}
