using System.Globalization;
using System.Text.Json;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FineTuning;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// <summary>
/// The data-derived constants of a run, in the order of docs/training.md, "What a run does": E0s, avg_num_neighbors, the Fermi-level offset, then the
/// field-feature norms and atom-density scales estimated from the training set; and the hyper-parameters they complete. With
/// `foundation_model` (the FixedPoint, MACE and ScaleShiftMACE classes) the backbone architecture and avg_num_neighbors are
/// the foundation's (<see cref="FoundationOptions"/>) and <see cref="CreateModel"/> (or, for any class, Build) loads its weights.
/// </summary>
/// <param name="Hyperparameters">the architecture of the fixed-point model to train (the FixedPoint class), completed with the data-derived constants</param>
/// <param name="Log">one line per constant, as `macescf train` prints them</param>
/// <param name="FoundationPath">the foundation model file, or null</param>
/// <param name="InitialChargeHeadScale">`fixedpoint_initial_charge_head_scale`: <see cref="CreateModel"/> multiplies the freshly
/// initialised output layers of the density (the local-density readouts and the update's element-select output) by it</param>
public sealed record ModelSetup(FixedPointHyperparameters Hyperparameters, IReadOnlyList<string> Log, string? FoundationPath = null,
    double InitialChargeHeadScale = 1.0)
{
    /// The --model class.
    internal ModelClass Class { get; init; } = ModelClass.FixedPoint;

    /// The hyper-parameters of a plain MACE class (MACE, ScaleShiftMACE), null for the others.
    internal MaceHyperparameters? PlainMace { get; init; }

    /// The hyper-parameters of a local-source class (LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq), null for the others.
    internal LocalSourceHyperparameters? LocalSource { get; init; }

    /// A freshly initialised model of the class (draws from the global random generator); the FixedPoint class with a
    /// foundation as <see cref="CreateModel"/> makes it.
    internal TrainableModel Build(ScalarType dtype, Action<string>? say = null) => Class switch
    {
        _ when Class.IsPlainMace() => TrainableModel.Of(WithFoundation(new MaceModel(PlainMace!, dtype), m => m, say), Class),
        ModelClass.FixedPoint => TrainableModel.Of(CreateModel(dtype, say)),
        _ => TrainableModel.Of(new LocalSourceModel(LocalSource!, dtype)),
    };

    /// <summary>Completes the architecture of <paramref name="config"/> with the constants estimated from the training set.</summary>
    /// <exception cref="InvalidDataException">the data cannot give a constant that was asked to be averaged</exception>
    public static ModelSetup From(TrainingConfig config, TrainingSets sets)
    {
        var modelClass = config.Class;
        var electrostatics = config.Electrostatics;
        var data = config.Data;
        UnprovidedOptions.Check(config);
        if (!modelClass.IsPlainMace()) CellCheck.Require(electrostatics.Method, sets);
        var log = new List<string>();
        var z = sets.Species.AtomicNumbers;
        using var foundation = config.Get(TrainingOptions.FoundationModel) is { } path ? FoundationModel.Load(path) : null;
        var e0s = data.E0s.Mode == SettingMode.Foundation ? FoundationOptions.E0s(foundation!, z) : AtomicEnergies(data.E0s, sets.Train, z);
        MaceHyperparameters? fromFoundation = null;
        if (foundation is not null)
        {
            (fromFoundation, var lines) = FoundationOptions.Backbone(config, foundation, z, e0s);
            log.AddRange(lines);
        }
        if (e0s is not null)
            log.Add((data.E0s.Mode == SettingMode.Foundation ? "E0s (the foundation's): " : "E0s: ")
                + string.Join(", ", e0s.Select(kv => $"{kv.Key}: {kv.Value.ToString("G8", CultureInfo.InvariantCulture)}")));
        double rMax = config.Get(TrainingOptions.RMax);
        double avgNeighbours = fromFoundation?.AvgNumNeighbors ?? (config.Get(TrainingOptions.ComputeAvgNumNeighbors)
            ? AverageNeighbourCount.Compute(sets.Train.Select(f => NeighbourList.Build(f.Configuration, rMax)))
            : config.Get(TrainingOptions.AvgNumNeighbors));
        log.Add($"avg_num_neighbors: {avgNeighbours.ToString("G6", CultureInfo.InvariantCulture)}" + (fromFoundation is null ? "" : " (the foundation's)"));
        if (modelClass.IsPlainMace()) return PlainMaceSetup(config, sets, e0s, avgNeighbours, log, foundation, fromFoundation);
        if (modelClass != ModelClass.FixedPoint) return LocalSourceSetup(config, sets, Backbone(config, z, avgNeighbours, e0s), log);
        var fermi = sets.Train.Where(f => f.FermiLevel.IsPresent).Select(f => f.FermiLevel.Value).ToArray();
        double offset = config.Get(TrainingOptions.FermiLevelOffset) ?? (fermi.Length > 0 ? fermi.Average() : 0.0);
        log.Add($"fermi_level_offset: {offset.ToString("G8", CultureInfo.InvariantCulture)}");
        var mace = fromFoundation ?? Backbone(config, z, avgNeighbours, e0s);
        var hp = new FixedPointHyperparameters
        {
            Mace = mace,
            Electrostatics = electrostatics,
            UpdateConfig = FixedPointUpdateConfig.FromDictionary(Dictionary(config.Get(TrainingOptions.FixedpointUpdateConfig))),
            FieldReadoutConfig = FieldReadoutConfig.FromDictionary(Dictionary(config.Get(TrainingOptions.FieldReadoutConfig))),
            UseLinearLocalCharges = config.Get(TrainingOptions.UseLinearLocalCharges),
            IncludeLocalElectronEnergy = config.Get(TrainingOptions.IncludeLocalElectronEnergy),
            FermiLevelOffset = offset,
        };
        var normsSetting = config.Get(TrainingOptions.FieldFeatureNorms);
        var norms = normsSetting.Mode switch
        {
            SettingMode.Average => AverageFieldFeatureNorms(sets.Train, sets.Species, electrostatics, offset).PerDegreeAndWidth,
            SettingMode.Explicit => normsSetting.Values,
            _ => null,
        };
        if (norms is not null) log.Add("field_feature_norms: [" + string.Join(", ", norms.Select(n => n.ToString("G6", CultureInfo.InvariantCulture))) + "]");
        var scaling = AtomDensityScalingOf(config, sets, log);
        double headScale = config.Get(TrainingOptions.FixedpointInitialChargeHeadScale);
        if (headScale != 1.0) log.Add($"fixedpoint_initial_charge_head_scale: {headScale.ToString("G6", CultureInfo.InvariantCulture)} (initial density output layers rescaled)");
        return new ModelSetup(hp with { FieldFeatureNorms = norms, AtomDensityScaling = scaling }, log, foundation?.Path, headScale);
    }

    /// --atom_density_scaling resolved (average: from the training set), logged when set.
    static AtomDensityScaling AtomDensityScalingOf(TrainingConfig config, TrainingSets sets, List<string> log)
    {
        var setting = config.Get(TrainingOptions.AtomDensityScaling);
        var scaling = setting.Mode switch
        {
            SettingMode.Average => AverageAtomDensityScaling(sets.Train, sets.Species, config.Get(TrainingOptions.AtomicMultipolesMaxL)),
            SettingMode.Explicit => new AtomDensityScaling { Values = setting.Values },
            _ => AtomDensityScaling.None,
        };
        if (scaling.Values.Count > 0) log.Add("atom_density_scaling: " + string.Join(", ", scaling.Values.Select(kv => $"{kv.Key}: {kv.Value:G6}")));
        return scaling;
    }

    /// <summary>
    /// The model to train: built from the hyper-parameters (with the random generator as seeded by the caller), its density
    /// output layers multiplied by <see cref="InitialChargeHeadScale"/>, then, with a foundation, its backbone loaded from the
    /// foundation file (<see cref="FoundationWeights"/>).
    /// </summary>
    /// <param name="dtype">floating-point type of the parameters and outputs</param>
    /// <param name="say">receives what the foundation has no weights for</param>
    /// <exception cref="InvalidOperationException">the run's `model` is another class than FixedPoint (train it with `macescf train`)</exception>
    public FixedPointModel CreateModel(ScalarType dtype = ScalarType.Float64, Action<string>? say = null)
    {
        if (Class != ModelClass.FixedPoint)
            throw new InvalidOperationException($"model: {Class}: CreateModel builds the fixed-point model; a {Class} model is trained with `macescf train`");
        var model = new FixedPointModel(Hyperparameters, dtype);
        if (InitialChargeHeadScale != 1.0) model.ScaleChargeHeads(InitialChargeHeadScale);
        return WithFoundation(model, m => m.Backbone, say);
    }

    /// The model with its MACE backbone loaded from the foundation file, if the run has one (disposed on failure).
    T WithFoundation<T>(T model, Func<T, MaceModel> backbone, Action<string>? say) where T : IDisposable
    {
        if (FoundationPath is null) return model;
        try
        {
            using var foundation = FoundationModel.Load(FoundationPath);
            var transfer = FoundationWeights.LoadInto(foundation.Backbone, backbone(model), $"foundation_model {foundation.Describe()}");
            say?.Invoke($"foundation_model: {transfer.Copied.Count} backbone weights loaded"
                + (transfer.KeptInitialised.Count == 0 ? "" : "; kept at their initialisation (no counterpart in the foundation): "
                    + string.Join("; ", transfer.KeptInitialised)));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// The MACE backbone's hyper-parameters from the architecture options (the option → property renames, e.g.
    /// num_radial_basis → NumBessel, are written here only; defaults: <see cref="MaceHyperparameters"/>'s).
    static MaceHyperparameters Backbone(TrainingConfig c, IReadOnlyList<int> z, double avgNeighbours, IReadOnlyDictionary<int, double>? e0s) => new()
    {
        AtomicNumbers = z,
        RMax = c.Get(TrainingOptions.RMax),
        NumBessel = c.Get(TrainingOptions.NumRadialBasis),
        NumPolynomialCutoff = c.Get(TrainingOptions.NumCutoffBasis),
        MaxEll = c.Get(TrainingOptions.MaxEll),
        HiddenIrreps = c.Get(TrainingOptions.HiddenIrreps),
        NumChannels = c.Get(TrainingOptions.NumChannels),
        MaxL = c.Get(TrainingOptions.MaxL),
        Correlation = c.Get(TrainingOptions.Correlation),
        NumInteractions = c.Get(TrainingOptions.NumInteractions),
        MlpIrreps = c.Get(TrainingOptions.MlpIrreps)!,
        RadialMlp = c.Get(TrainingOptions.RadialMlp),
        Interaction = c.Get(TrainingOptions.Interaction),
        InteractionFirst = c.Get(TrainingOptions.InteractionFirst),
        AvgNumNeighbors = avgNeighbours,
        E0s = e0s,
        Gate = c.Get(TrainingOptions.Gate),
    };

    /// MACE and ScaleShiftMACE as run_train builds them: MACE's first interaction non-residual and shift 0, ScaleShiftMACE's
    /// shift the mean per-atom interaction energy; scale from --scaling (<see cref="MaceStatistics.ScaleAndShift"/>); the
    /// scalar-only last layer and x, y, z edge order of MACE.
    static ModelSetup PlainMaceSetup(TrainingConfig config, TrainingSets sets, IReadOnlyDictionary<int, double>? e0s, double avgNeighbours,
        List<string> log, FoundationModel? foundation, MaceHyperparameters? fromFoundation)
    {
        var modelClass = config.Class;
        string scaling = config.Get(TrainingOptions.Scaling);
        var z = sets.Species.AtomicNumbers;
        var (mean, scale) = MaceStatistics.ScaleAndShift(sets.Train, e0s, scaling);
        if (foundation is not null) return FineTunedPlainMace(modelClass, foundation, fromFoundation!, mean, log);
        double shift = modelClass == ModelClass.ScaleShiftMACE ? mean : 0.0;
        log.Add($"{modelClass}: scale {scale.ToString("G8", CultureInfo.InvariantCulture)} ({scaling}), shift {shift.ToString("G8", CultureInfo.InvariantCulture)}"
            + (modelClass == ModelClass.MACE ? $", first interaction {InteractionKinds.NonResidual} (as run_train builds MACE; interaction_first is ScaleShiftMACE's)" : ""));
        var backbone = Backbone(config, z, avgNeighbours, e0s);
        var mace = backbone with
        {
            InteractionFirst = modelClass == ModelClass.MACE ? InteractionKinds.NonResidual : backbone.InteractionFirst,
            AtomicInterScale = scale,
            AtomicInterShift = shift,
        };
        mace.Validate();
        // The fixed-point hyper-parameters are not used by a plain MACE class; the backbone's are kept there for reference.
        return new ModelSetup(new FixedPointHyperparameters { Mace = mace }, log) { Class = modelClass, PlainMace = mace };
    }

    /// MACE or ScaleShiftMACE from a foundation, as MACE's fine-tuning builds them: the foundation's architecture (interaction
    /// classes included) and scale and shift; a foundation without them (a Python MACE of class MACE) keeps scale 1, and shift 0
    /// for MACE, the data's mean per-atom interaction energy for ScaleShiftMACE.
    static ModelSetup FineTunedPlainMace(ModelClass modelClass, FoundationModel foundation, MaceHyperparameters fromFoundation, double mean,
        List<string> log)
    {
        double shift = foundation.HasScaleShift || modelClass == ModelClass.MACE ? fromFoundation.AtomicInterShift : mean;
        var mace = fromFoundation with { KeepLastLayerIrreps = false, EdgeVectorOrder = VectorOrder.Xyz, AtomicInterShift = shift };
        var s = CultureInfo.InvariantCulture;
        log.Add($"{modelClass}: scale {mace.AtomicInterScale.ToString("G8", s)}, shift {shift.ToString("G8", s)} "
            + (foundation.HasScaleShift ? "(the foundation's)" : modelClass == ModelClass.MACE
                ? "(the foundation has no scale and shift)" : "(the foundation has none: scale 1, shift the data's mean per-atom energy)"));
        mace.Validate();
        return new ModelSetup(new FixedPointHyperparameters { Mace = mace }, log, foundation.Path) { Class = modelClass, PlainMace = mace };
    }

    /// LocalCharges (atom_density_scaling as for the fixed-point model's linear local charges), FixedChargeBaselinedMACE and
    /// LocalSplitCharges (atomic_formal_charges, which must cover every element of the data), MACEQEq (train_hardness,
    /// default_hardness).
    static ModelSetup LocalSourceSetup(TrainingConfig config, TrainingSets sets, MaceHyperparameters mace, List<string> log)
    {
        var modelClass = config.Class;
        var electrostatics = config.Electrostatics;
        var scaling = AtomDensityScalingOf(config, sets, log);
        var charges = config.Get(TrainingOptions.AtomicFormalCharges).Values;
        bool fromData = config.Get(TrainingOptions.FormalChargesFromData);
        if (fromData)
        {
            FormalChargeData.Require(sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames)), config.Heads);
            log.Add($"formal charges: per atom from the arrays key '{config.Heads.ArraysKeys[PropertyKeys.Charges]}'");
        }
        else if (modelClass is ModelClass.FixedChargeBaselinedMACE or ModelClass.LocalSplitCharges)
        {
            var missing = mace.AtomicNumbers.Where(z => !charges.ContainsKey(z)).ToArray();
            if (missing.Length > 0)
                throw new ArgumentException($"atomic_formal_charges gives no charge for Z = {string.Join(", ", missing)}, which the data have");
            log.Add("atomic_formal_charges: " + string.Join(", ", charges.Select(kv => $"{kv.Key}: {kv.Value.ToString("G6", CultureInfo.InvariantCulture)}")));
        }
        var hp = new LocalSourceHyperparameters
        {
            Class = modelClass, Mace = mace, Electrostatics = electrostatics, AtomDensityScaling = scaling, FormalCharges = charges,
            FormalChargesFromData = fromData, ComputePolarizability = config.Get(TrainingOptions.ComputePolarizability),
            TrainHardness = config.Get(TrainingOptions.TrainHardness), DefaultHardness = config.Get(TrainingOptions.DefaultHardness),
        };
        if (modelClass == ModelClass.MACEQEq)
            log.Add($"MACEQEq: hardness {hp.DefaultHardness.ToString("G6", CultureInfo.InvariantCulture)} V/e" + (hp.TrainHardness ? " plus a trained readout" : ""));
        hp.Validate();
        return new ModelSetup(new FixedPointHyperparameters { Mace = mace, Electrostatics = electrostatics }, log) { Class = modelClass, LocalSource = hp };
    }

    /// The frames whose reference multipoles enter the averages (present, with non-zero weight).
    static IEnumerable<LabelledConfiguration> WithMultipoles(IEnumerable<LabelledConfiguration> frames, string what)
    {
        var selected = frames.Where(f => f.AtomicMultipoles.IsPresent && f.AtomicMultipoles.Weight > 0 && f.Weight > 0);
        return selected.Any() ? selected : throw new InvalidDataException($"{what} 'average' needs training frames with atomic_multipoles");
    }

    /// --field_feature_norms average: per (l, width), the RMS of the unnormalised features Feat[ρ_ref] + F_ext + M·(μ − μ_off)
    /// over the atoms of the training frames with reference multipoles (the model's feature machinery, docs/math.md, "Field features").
    internal static FieldFeatureNorms AverageFieldFeatureNorms(IReadOnlyList<LabelledConfiguration> train, SpeciesTable species,
        ElectrostaticsOptions electrostatics, double fermiLevelOffset)
    {
        var frames = WithMultipoles(train, "field_feature_norms");
        var features = new List<Tensor>();
        using var scope = NewDisposeScope();
        foreach (var f in frames)
        {
            var c = f.Configuration;
            using var batch = GraphBatch.Build([c], 0.5, species);
            using var plan = new ElectrostaticsPlan(electrostatics, batch.Positions, batch.Cell, batch.Pbc, batch.Batch);
            var m = f.AtomicMultipoles.Value;
            var density = tensor(Flatten(m, electrostatics.DensityCoefficientCount), dtype: ScalarType.Float64).view(c.AtomCount, -1);
            var field = f.ExternalField.IsPresent ? tensor(f.ExternalField.Value, dtype: ScalarType.Float64).view(1, 3) : null;
            var shift = f.FermiLevel.IsPresent ? tensor(new[] { f.FermiLevel.Value - fermiLevelOffset }, dtype: ScalarType.Float64) : null;
            features.Add(plan.FieldFeatures(density).Plus(plan.ExternalFeatures(field, shift)));
        }
        return FieldFeatureNorms.Average(new FieldFeatureLayout(electrostatics), features);
    }

    /// --atom_density_scaling average: per element, the RMS over the components of the training frames' reference multipoles
    /// (frames without them excluded through their weight).
    internal static AtomDensityScaling AverageAtomDensityScaling(IReadOnlyList<LabelledConfiguration> train, SpeciesTable species, int maxL)
    {
        WithMultipoles(train, "atom_density_scaling");
        int k = (maxL + 1) * (maxL + 1);
        using var scope = NewDisposeScope();
        var index = tensor(train.SelectMany(f => f.Configuration.AtomicNumbers.Select(species.IndexOf)).Select(i => (long)i).ToArray());
        var multipoles = tensor(train.SelectMany(f => f.AtomicMultipoles.IsPresent
            ? Flatten(f.AtomicMultipoles.Value, k) : new double[f.Configuration.AtomCount * k]).ToArray(), dtype: ScalarType.Float64).view(-1, k);
        var weight = tensor(train.SelectMany(f => Enumerable.Repeat(f.AtomicMultipoles.IsPresent && f.AtomicMultipoles.Weight > 0 && f.Weight > 0 ? 1.0 : 0.0,
            f.Configuration.AtomCount)).ToArray(), dtype: ScalarType.Float64);
        return AtomDensityScaling.Average(species.AtomicNumbers, index, multipoles, weight);
    }

    static double[] Flatten(double[,] rows, int columns)
    {
        int n = rows.GetLength(0);
        var flat = new double[n * columns];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < Math.Min(columns, rows.GetLength(1)); c++) flat[i * columns + c] = rows[i, c];
        return flat;
    }

    static IReadOnlyDictionary<int, double>? AtomicEnergies(PerElementSetting setting, IReadOnlyList<LabelledConfiguration> train, IReadOnlyList<int> z)
    {
        switch (setting.Mode)
        {
            case SettingMode.None:
                return null;
            case SettingMode.Average:
                // One pass keeping each frame's atomic numbers and energy only (a sharded training set is streamed).
                var labelled = train.Where(f => f.Energy.IsPresent).Select(f => (f.Configuration.AtomicNumbers, f.Energy.Value)).ToArray();
                if (labelled.Length == 0) throw new InvalidDataException("E0s 'average' needs training frames with energies");
                return MaceStatistics.AverageAtomicEnergies(labelled.Select(f => f.AtomicNumbers).ToArray(), labelled.Select(f => f.Value).ToArray(), z);
        }
        var values = setting.FilePath is null
            ? setting.Values
            : JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(setting.FilePath))!
                .ToDictionary(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture), kv => kv.Value);
        var missing = z.Where(e => !values.ContainsKey(e)).ToArray();
        if (missing.Length > 0) throw new ArgumentException($"E0s gives no energy for Z = {string.Join(", ", missing)}");
        return values;
    }

    static Dictionary<string, string> Dictionary(BlockConfig block)
    {
        var d = new Dictionary<string, string> { ["type"] = block.Type };
        foreach (var (key, value) in block.Arguments) d[key] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
        return d;
    }
}
