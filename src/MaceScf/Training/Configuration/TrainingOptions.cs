using System.Globalization;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using static MaceScf.Training.OptionSection;

namespace MaceScf.Training;

/// `--optimizer`.
internal enum OptimizerKind
{
    Adam,
    Adamw,
    /// AdamW schedule-free (the Python implementation's default).
    Schedulefree,
}

/// `--default_dtype`.
internal enum DefaultDtype
{
    Float32,
    Float64,
}

/// Every option of `macescf train`, with type, default and help: the single source of truth for
/// config.yaml, the command line, `--help`, `--print-config` and docs/configuration.md. Names and
/// defaults follow the Python `run_train.py` (docs/compatibility.md, "Defaults").
internal static class TrainingOptions
{
    static readonly List<Option> Registered = [];

    /// All options in registry order (section by section).
    public static IReadOnlyList<Option> All => Registered;

    static readonly Dictionary<string, Option> ByName = new(StringComparer.Ordinal);

    public static Option? Find(string name) => ByName.GetValueOrDefault(name);

    static Option<T> Add<T>(string name, OptionSection section, ValueKind<T> kind, T defaultValue, string help, bool required = false)
    {
        var option = new Option<T>(name, section, kind, defaultValue, help, required);
        Registered.Add(option);
        ByName.Add(name, option);
        return option;
    }

    static readonly IntKind Int = new();
    static readonly IntKind PositiveInt = new(1);
    static readonly IntKind NonNegativeInt = new(0);
    static readonly DoubleKind Number = new();
    static readonly DoubleKind Positive = new(0, minimumExclusive: true);
    static readonly DoubleKind NonNegative = new(0);
    static readonly BoolKind Bool = new();
    static readonly TextKind Text = new();
    static readonly PathKind AnyPath = new();
    static readonly PathKind XyzPath = new(".xyz");

    // The defaults of the architecture, electrostatics and SCF options are those of the records the model and the SCF are built
    // from (docs/design.md, "Where each default lives"); declared before the options, which read them.
    static readonly MaceHyperparameters MaceDefaults = new() { AtomicNumbers = [] };
    static readonly FixedPointHyperparameters FixedPointDefaults = new() { Mace = MaceDefaults };
    static readonly LocalSourceHyperparameters QEqDefaults = new() { Class = Models.ModelClass.MACEQEq, Mace = MaceDefaults };
    static readonly ElectrostaticsOptions ElectrostaticsDefaults = FixedPointDefaults.Electrostatics;
    static readonly ScfOptions ScfDefaults = new();

    // Core
    public static readonly Option<KeyMapping?> Heads = Add<KeyMapping?>("heads", Core, new HeadsKind()!, null,
        "Data keys: {HEAD: {info_keys: {canonical: file key}, arrays_keys: {...}}}; exactly one head; info_keys must map total_charge.", required: true);
    public static readonly Option<TrainSchedule?> TrainSchedule = Add<TrainSchedule?>("train_schedule", Core, new ScheduleKind()!, null,
        "Training stages keyed 0..n-1 (name, start, end inclusive, loss, lr, fixed_point_training_options); see the train_schedule section.", required: true);
    public static readonly Option<string> ErrorTable = Add("error_table", Core,
        new ChoiceKind("DensityCoefficientsRMSE", "DensityEnergyRMSE", "PerAtomRMSE", "DipoleRMSE", "DensityDipoleRMSE",
            "EnergyDensityDipoleRMSE", "EnergyDipolePotentialsRMSE"), "",
        "Required as in the Python code, but the final error table always shows every labelled property (docs/compatibility.md).", required: true);
    public static readonly Option<string> Model = Add("model", Core, new ChoiceKind([.. Models.ModelClasses.Names]), "FixedPoint",
        "Model class: FixedPoint (the SCF model), MACE or ScaleShiftMACE (plain MACE), LocalCharges (multipoles from local "
        + "features, no SCF), LocalSplitCharges (formal charges plus transfers on the edges), FixedChargeBaselinedMACE (fixed "
        + "charges per element) or MACEQEq (charge equilibration); the names of the Python run_train (docs/training.md, \"Model classes\").");
    public static readonly Option<OptimizerKind> Optimizer = Add("optimizer", Core, new EnumKind<OptimizerKind>(), OptimizerKind.Schedulefree,
        "adam, adamw, or schedulefree (AdamW schedule-free; no lr scheduler).");
    public static readonly Option<bool> RestartLatest = Add("restart_latest", Core, Bool, false,
        "Resume from the latest checkpoint of the run (off by default, as in MACE); options that differ from the checkpoint's, "
        + "other than the last stage's end and max_num_epochs, are refused.");
    public static readonly Option<bool> RestartAcceptChanges = Add("restart_accept_changes", Core, Bool, false,
        "With restart_latest: resume even when options differ from the checkpoint's (the differences are printed and logged).");
    public static readonly Option<bool> ComputeForces = Add("compute_forces", Core, Bool, true,
        "Forces by autograd; must be true.");
    public static readonly Option<bool> ComputeStress = Add("compute_stress", Core, Bool, false,
        "Also compute the stress.");

    // Run, IO, logging
    public static readonly Option<string?> Name = Add("name", Run, Text, null, "Experiment name; the run tag is {name}_run-{seed}.");
    public static readonly Option<int> Seed = Add("seed", Run, Int, 123, "Random seed (also the default split seed).");
    public static readonly Option<string?> WorkDir = Add("work_dir", Run, AnyPath, ".", "Base folder of the run.");
    public static readonly Option<string?> LogDir = Add("log_dir", Run, AnyPath, null, "Log folder; None means work_dir/logs.");
    public static readonly Option<string?> ModelDir = Add("model_dir", Run, AnyPath, null, "Folder of the final models; None means work_dir.");
    public static readonly Option<string?> CheckpointsDir = Add("checkpoints_dir", Run, AnyPath, null, "Checkpoint folder; None means work_dir/checkpoints.");
    public static readonly Option<string?> ResultsDir = Add("results_dir", Run, AnyPath, null, "Metrics, tables and plots; None means work_dir/results.");
    public static readonly Option<string?> DownloadsDir = Add("downloads_dir", Run, AnyPath, null, "Downloads folder; None means work_dir/downloads.");
    public static readonly Option<string> Device = Add("device", Run, new ChoiceKind("cpu", "cuda"), "cpu", "Torch device.");
    public static readonly Option<DefaultDtype> Dtype = Add("default_dtype", Run, new EnumKind<DefaultDtype>(), DefaultDtype.Float64, "Floating-point precision.");
    public static readonly Option<string> LogLevel = Add("log_level", Run, new ChoiceKind("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "Console and main-log level.");
    public static readonly Option<int> EvalInterval = Add("eval_interval", Run, PositiveInt, 1, "Validate every n epochs.");
    public static readonly Option<int> InferenceEvalInterval = Add("inference_eval_interval", Run, NonNegativeInt, 10,
        "Also validate with the SCF run as at inference (converged from the local guess, inference_* settings) every n epochs of a stage and always at its last epoch; 0: only at stage ends.");
    public static readonly Option<int> InferenceNumScfSteps = Add("inference_num_scf_steps", Run, PositiveInt, ScfDefaults.NumScfSteps,
        "num_scf_steps of the inference SCF (that validation and the final error tables).");
    public static readonly Option<double> InferenceScfTolerance = Add("inference_scf_tolerance", Run, Positive, ScfDefaults.ScfTolerance,
        "scf_tolerance of the inference SCF.");
    public static readonly Option<double?> InferenceMixingParameter = Add("inference_mixing_parameter", Run, new OptionalKind<double>(Positive), null,
        string.Create(CultureInfo.InvariantCulture, $"mixing_parameter of the inference SCF; None: the last SCF stage's ({ScfDefaults.MixingParameter} when every stage is direct)."));
    public static readonly Option<int> Patience = Add("patience", Run, PositiveInt, 2048, "Early stopping: evaluations without improvement, counted per stage.");
    public static readonly Option<bool> KeepCheckpoints = Add("keep_checkpoints", Run, Bool, false, "Never delete old checkpoints.");
    public static readonly Option<bool> SaveAllCheckpoints = Add("save_all_checkpoints", Run, Bool, false, "Also save at evaluations that do not improve.");
    public static readonly Option<bool> SaveCpu = Add("save_cpu", Run, Bool, false, "Move the model to the CPU before saving it.");
    public static readonly Option<bool> LogOnTestSets = Add("log_on_test_sets", Run, Bool, false, "Also evaluate each test config_type during training.");
    public static readonly Option<bool> ScfConvergenceSummary = Add("scf_convergence_summary", Run, Bool, false, "After training, report SCF convergence.");
    public static readonly Option<bool> DebugLogGradSummary = Add("debug_log_grad_summary", Run, Bool, false, "Log gradient and parameter norms per step.");
    public static readonly Option<bool> Distributed = Add("distributed", Run, Bool, false,
        "Data-parallel training over the MPI ranks of mpiexec/srun (MPICH); the run reproduces the single-process one (docs/distributed.md).");

    // Data
    public static readonly Option<string?> TrainFile = Add("train_file", OptionSection.Data, XyzPath, null, "Training set (extxyz).", required: true);
    public static readonly Option<string?> ValidFile = Add("valid_file", OptionSection.Data, XyzPath, null, "Validation set; None splits valid_fraction off the training set.");
    public static readonly Option<double> ValidFraction = Add("valid_fraction", OptionSection.Data, new DoubleKind(0, minimumExclusive: true, maximum: 1), 0.1, "Fraction of the training set used for validation when valid_file is None.");
    public static readonly Option<int?> ValidSetSeed = Add("valid_set_seed", OptionSection.Data, new OptionalKind<int>(Int), null, "Seed of the train/valid split; None uses seed.");
    public static readonly Option<string?> TestFile = Add("test_file", OptionSection.Data, XyzPath, null, "Test set, split into test sets by config_type.");
    public static readonly Option<PerElementSetting> E0s = Add("E0s", OptionSection.Data, new PerElementKind(allowJsonFile: true, positive: false, allowFoundation: true), PerElementSetting.None,
        "Isolated-atom energies: None, average (least squares on the training set), {Z: E}, a .json file, or foundation (the foundation_model's).");
    public static readonly Option<IReadOnlyDictionary<string, double>> ConfigTypeWeights = Add("config_type_weights", OptionSection.Data, new WeightMapKind(),
        (IReadOnlyDictionary<string, double>)new SortedDictionary<string, double>(StringComparer.Ordinal) { ["Default"] = 1.0 },
        "Weight of each config_type.");
    public static readonly Option<int> BatchSize = Add("batch_size", OptionSection.Data, PositiveInt, 10, "Training batch size (shuffled, last partial batch dropped).");
    public static readonly Option<int> ValidBatchSize = Add("valid_batch_size", OptionSection.Data, PositiveInt, 10, "Validation and test batch size.");
    public static readonly Option<bool> ShardData = Add("shard_data", OptionSection.Data, Bool, false,
        "With distributed: each rank keeps only its shard of train_file in memory and streams the file for the rest (docs/distributed.md).");
    public static readonly Option<bool> AllowLowDensityPbc = Add("allow_low_density_pbc", OptionSection.Data, Bool, false, "Skip the check of periodic configurations with a large volume per atom.");
    public static readonly Option<double> LowDensityPbcMaxVolumePerAtom = Add("low_density_pbc_max_volume_per_atom", OptionSection.Data, Positive, 100.0, "Limit in Å³/atom of that check.");
    public static readonly Option<bool> OverridePbcChecks = Add("override_pbc_checks", OptionSection.Data, Bool, false, "Skip the check that each configuration's pbc suits electrostatic_pbc_method.");

    // Architecture (MACE backbone)
    public static readonly Option<double> RMax = Add("r_max", Architecture, Positive, MaceDefaults.RMax, "Cutoff radius in Å.");
    public static readonly Option<string> RadialType = Add("radial_type", Architecture, new ChoiceKind("bessel", "gaussian", "chebyshev"), "bessel", "Radial basis.");
    public static readonly Option<int> NumRadialBasis = Add("num_radial_basis", Architecture, PositiveInt, MaceDefaults.NumBessel, "Number of radial basis functions.");
    public static readonly Option<int> NumCutoffBasis = Add("num_cutoff_basis", Architecture, PositiveInt, MaceDefaults.NumPolynomialCutoff, "Order p of the polynomial cutoff.");
    public static readonly Option<int> MaxEll = Add("max_ell", Architecture, NonNegativeInt, MaceDefaults.MaxEll, "Highest l of the edge spherical harmonics.");
    public static readonly Option<string> Interaction = Add("interaction", Architecture,
        new ChoiceKind("RealAgnosticResidualInteractionBlock", "RealAgnosticInteractionBlock"), MaceDefaults.Interaction, "Interaction block of layers 2 and later.");
    public static readonly Option<string> InteractionFirst = Add("interaction_first", Architecture,
        new ChoiceKind("RealAgnosticResidualInteractionBlock", "RealAgnosticInteractionBlock"), MaceDefaults.InteractionFirst, "Interaction block of layer 1.");
    public static readonly Option<int> NumInteractions = Add("num_interactions", Architecture, PositiveInt, MaceDefaults.NumInteractions, "Number of MACE layers.");
    public static readonly Option<string?> HiddenIrreps = Add("hidden_irreps", Architecture, Text, MaceDefaults.HiddenIrreps, "Hidden irreps such as '64x0e+64x1o'; needed unless num_channels and max_L are given.");
    public static readonly Option<int?> NumChannels = Add("num_channels", Architecture, new OptionalKind<int>(PositiveInt), MaceDefaults.NumChannels, "With max_L: hidden irreps num_channels × (0e + 1o + ...) up to max_L, overriding hidden_irreps.");
    public static readonly Option<int?> MaxL = Add("max_L", Architecture, new OptionalKind<int>(NonNegativeInt), MaceDefaults.MaxL, "With num_channels: highest l of the hidden irreps.");
    public static readonly Option<int> Correlation = Add("correlation", Architecture, PositiveInt, MaceDefaults.Correlation, "Body order of the product basis.");
    public static readonly Option<string> Gate = Add("gate", Architecture, new ChoiceKind("silu", "tanh", "abs", "None"), MaceDefaults.Gate, "Nonlinearity of the readouts.");
    public static readonly Option<string?> MlpIrreps = Add("MLP_irreps", Architecture, Text, MaceDefaults.MlpIrreps, "Hidden irreps of the nonlinear readout.");
    public static readonly Option<IReadOnlyList<int>> RadialMlp = Add("radial_MLP", Architecture, new IntListKind(), MaceDefaults.RadialMlp, "Widths of the radial MLP.");
    public static readonly Option<string> Scaling = Add("scaling", Architecture, new ChoiceKind("rms_forces_scaling", "std_scaling", "no_scaling"),
        "rms_forces_scaling", "MACE and ScaleShiftMACE: the scale of the summed readouts, the RMS of the training forces (rms_forces_scaling), "
        + "the std of the per-atom interaction energies (std_scaling) or 1 (no_scaling).");
    public static readonly Option<double> AvgNumNeighbors = Add("avg_num_neighbors", Architecture, Positive, MaceDefaults.AvgNumNeighbors, "Message normaliser; replaced by the training-set value when compute_avg_num_neighbors is true.");
    public static readonly Option<bool> ComputeAvgNumNeighbors = Add("compute_avg_num_neighbors", Architecture, Bool, true, "Compute avg_num_neighbors from the training set.");

    // Electrostatics / density representation
    public static readonly Option<int> AtomicMultipolesMaxL = Add("atomic_multipoles_max_l", OptionSection.Electrostatics, new IntKind(0), ElectrostaticsDefaults.DensityMaxL,
        $"Multipole order L of the density ((L+1)² coefficients per atom; at most {ElectrostaticsOptions.MaxSupportedL}).");
    public static readonly Option<double> AtomicMultipolesSmearingWidth = Add("atomic_multipoles_smearing_width", OptionSection.Electrostatics, Positive, ElectrostaticsDefaults.SmearingWidth, "Gaussian width σ of the multipoles in Å.");
    public static readonly Option<double> KspaceCutoffFactor = Add("kspace_cutoff_factor", OptionSection.Electrostatics, Positive, ElectrostaticsDefaults.KspaceCutoffFactor, string.Create(CultureInfo.InvariantCulture, $"Scales the heuristic reciprocal-space cutoff ({ElectrostaticsDefaults.KspaceCutoffFactor} as documented; the Python code uses 1.0)."));
    public static readonly Option<KspaceMethod> KspaceMethodOption = Add("kspace_method", OptionSection.Electrostatics, new EnumKind<KspaceMethod>(), ElectrostaticsDefaults.KspaceMethod,
        $"Reciprocal-space part of the periodic methods: ewald (direct sum), pme (particle-mesh Ewald) or auto (pme from {KspaceMethodNames.AutoPmeThreshold} atoms per structure, from {KspaceMethodNames.ScfAutoPmeThreshold} in a fixed-point model's SCF).");
    public static readonly Option<double> ElectrostaticsAccuracy = Add("electrostatics_accuracy", OptionSection.Electrostatics, Positive, ElectrostaticsDefaults.ElectrostaticsAccuracy,
        "Target relative RMS force error of pme, from which its grid spacing and spline order are chosen.");
    public static readonly Option<BoundaryMethod> ElectrostaticPbcMethod = Add("electrostatic_pbc_method", OptionSection.Electrostatics, new EnumKind<BoundaryMethod>(), ElectrostaticsDefaults.Method,
        "Boundary treatment of the electrostatics.");
    public static readonly Option<bool> IncludeElectrostaticSelfInteraction = Add("include_electrostatic_self_interaction", OptionSection.Electrostatics, Bool, ElectrostaticsDefaults.IncludeSelfInteraction, "Keep each Gaussian's self-energy in the Coulomb energy.");
    public static readonly Option<PerElementSetting> AtomicFormalCharges = Add("atomic_formal_charges", OptionSection.Electrostatics,
        new PerElementKind(allowJsonFile: false, positive: false), PerElementSetting.None,
        "FixedChargeBaselinedMACE and LocalSplitCharges: the (formal) charge of each element, {Z: q}, e.g. {11: 1.0, 17: -1.0}.");
    public static readonly Option<bool> FormalChargesFromData = Add("formal_charges_from_data", OptionSection.Electrostatics, Bool, QEqDefaults.FormalChargesFromData,
        "LocalSplitCharges: the formal charge of every atom from the data (the arrays key mapped to charges in heads), instead of atomic_formal_charges.");
    public static readonly Option<bool> ComputePolarizability = Add("compute_polarizability", OptionSection.Electrostatics, Bool, QEqDefaults.ComputePolarizability,
        "LocalSplitCharges: a local polarizability readout (symmetric 3×3 per atom, summed), trained with the polarizability loss.");
    public static readonly Option<bool> TrainHardness = Add("train_hardness", OptionSection.Electrostatics, Bool, QEqDefaults.TrainHardness,
        "MACEQEq: the hardness is default_hardness plus a readout of the local features (else default_hardness for every atom).");
    public static readonly Option<double> DefaultHardness = Add("default_hardness", OptionSection.Electrostatics, Number, QEqDefaults.DefaultHardness,
        "MACEQEq: the atomic hardness J (V/e), or the constant part of a trained one.");
    public static readonly Option<bool> ReturnElectrostaticPotentials = Add("return_electrostatic_potentials", OptionSection.Electrostatics, Bool, false, "Also return electrostatic potentials (needed by the esps loss).");
    public static readonly Option<bool> IncludeLocalElectronEnergy = Add("include_local_electron_energy", OptionSection.Electrostatics, Bool, FixedPointDefaults.IncludeLocalElectronEnergy, "Add the field readout's local electron energy to the energy.");

    // Field features
    public static readonly Option<int?> FieldFeatureMaxL = Add("field_feature_max_l", FieldFeatures, new OptionalKind<int>(NonNegativeInt), ElectrostaticsDefaults.FieldFeatureMaxL, "Angular order of the field features; None uses atomic_multipoles_max_l.");
    public static readonly Option<IReadOnlyList<double>> FieldFeatureWidths = Add("field_feature_widths", FieldFeatures, new DoubleListKind(positive: true), ElectrostaticsDefaults.FieldFeatureWidths,
        "Gaussian widths in Å used to sample the potential, e.g. \"[1.5, 3.0]\".");
    public static readonly Option<FieldFeatureNormsSetting> FieldFeatureNorms = Add("field_feature_norms", FieldFeatures, new FieldFeatureNormsKind(), FieldFeatureNormsSetting.Average,
        "None (all 1), average (RMS per (l, width) from the training set) or a list of len(widths)·(max_l+1) values, l-major.");
    public static readonly Option<double> FieldNormFactor = Add("field_norm_factor", FieldFeatures, Positive, 1.0,
        "Accepted for Python configs at 1.0 only: the Python update blocks store it and never use it (use field_feature_norms).");
    public static readonly Option<bool> IncludeFieldSi = Add("include_field_si", FieldFeatures, Bool, ElectrostaticsDefaults.IncludeFieldSelfInteraction, "Include self-interaction-like terms in the field features.");
    public static readonly Option<double?> FermiLevelOffset = Add("fermi_level_offset", FieldFeatures, new OptionalKind<double>(Number), null,
        "The Fermi level enters the features as μ − offset; None uses the mean training-set Fermi level.");

    // Update rule
    public static readonly Option<BlockConfig> FixedpointUpdateConfig = Add("fixedpoint_update_config", UpdateRule,
        new BlockConfigKind(["OneBodyVariableUpdate", "ManyBodyUpdate"], new Dictionary<string, IReadOnlyList<string>>
        {
            ["potential_embedding_cls"] = ["BiasedLinearPotentialEmbedding", "LinearPotentialEmbedding", "TanhPotentialEmbedding"],
            ["nonlinearity_cls"] = ["NoNonLinearity", "MLPNonLinearity", "ShallowNonLinearity", "SkipMLPLinearity"],
            ["central_atom_mixer_cls"] = ["AdditiveFieldMixer", "NoMixer"],
            ["central_atom_feats_mixer_cls"] = ["AdditiveFieldMixer", "NoMixer"],
            ["interaction_cls"] = ["RealAgnosticDensityResidualInteractionBlock"],
        }), BlockConfig.DefaultUpdate,
        "Update rule: a dict with type and class names; other keys are constructor arguments.");
    public static readonly Option<bool> UseLinearLocalCharges = Add("use_linear_local_charges", UpdateRule, Bool, FixedPointDefaults.UseLinearLocalCharges,
        "Field-independent density from a scaled linear block (scales from atom_density_scaling).");
    public static readonly Option<PerElementSetting> AtomDensityScaling = Add("atom_density_scaling", UpdateRule, new PerElementKind(allowJsonFile: false, positive: true), PerElementSetting.None,
        "Per-element scale of the linear local density: None (1.0), {Z: s} covering all elements, or average (per-element RMS of the reference multipoles).");
    public static readonly Option<double> FixedpointInitialChargeHeadScale = Add("fixedpoint_initial_charge_head_scale", UpdateRule, Positive, 1.0,
        "Multiplies the freshly initialised density output layers (each layer's local-density readout and the update's output) to keep the initial densities small; 1.0 leaves them as initialised.");

    // Readouts
    public static readonly Option<BlockConfig> FieldReadoutConfig = Add("field_readout_config", Readouts,
        new BlockConfigKind(["StrictQuadraticFieldEnergyReadout", "NullFieldReadout", "OneBodyMLPFieldReadout", "ManyBodyChargesReadout",
            "ManyBodyChargesFieldReadout", "QuadraticChargesEnergyReadout", "LinearChargesEnergyReadout"], new Dictionary<string, IReadOnlyList<string>>()),
        BlockConfig.DefaultReadout, "Density-dependent local electron energy readout: a dict with type.");

    // Training, optimiser, scheduler
    public static readonly Option<double> Lr = Add("lr", OptionSection.Training, Positive, 0.01, "Learning rate when the optimiser is built; each stage sets its own lr.");
    public static readonly Option<double> WeightDecay = Add("weight_decay", OptionSection.Training, NonNegative, 5e-7, "Weight decay of the decayed parameter groups.");
    public static readonly Option<double> FieldBlockWeightDecay = Add("field_block_weight_decay", OptionSection.Training, NonNegative, 5e-7, "Weight decay of the field_dependent_charges_map group.");
    public static readonly Option<double> LocalChargesWeightDecay = Add("local_charges_weight_decay", OptionSection.Training, NonNegative, 5e-7, "Weight decay of the lr_source_maps group.");
    public static readonly Option<double> Beta = Add("beta", OptionSection.Training, new DoubleKind(0, maximum: 1), 0.9, "Adam β1.");
    public static readonly Option<double> BetaTwo = Add("beta_two", OptionSection.Training, new DoubleKind(0, maximum: 1), 0.999, "Adam β2.");
    public static readonly Option<bool> Amsgrad = Add("amsgrad", OptionSection.Training, Bool, true, "AMSGrad for adam and adamw.");
    public static readonly Option<string> Scheduler = Add("scheduler", OptionSection.Training, new ChoiceKind("ReduceLROnPlateau", "ExponentialLR"), "ReduceLROnPlateau",
        "Learning-rate scheduler (not used with schedulefree).");
    public static readonly Option<double> LrFactor = Add("lr_factor", OptionSection.Training, new DoubleKind(0, minimumExclusive: true, maximum: 1), 0.8, "ReduceLROnPlateau factor.");
    public static readonly Option<int> SchedulerPatience = Add("scheduler_patience", OptionSection.Training, NonNegativeInt, 50, "ReduceLROnPlateau patience.");
    public static readonly Option<double> LrSchedulerGamma = Add("lr_scheduler_gamma", OptionSection.Training, new DoubleKind(0, minimumExclusive: true, maximum: 1), 0.9993, "ExponentialLR γ.");
    public static readonly Option<bool> Ema = Add("ema", OptionSection.Training, Bool, false, "Exponential moving average of the parameters for evaluation and checkpoints.");
    public static readonly Option<double> EmaDecay = Add("ema_decay", OptionSection.Training, new DoubleKind(0, maximum: 1), 0.99, "EMA decay.");
    public static readonly Option<double?> ClipGrad = Add("clip_grad", OptionSection.Training, new OptionalKind<double>(Positive), 10.0, "Maximum global L2 norm of the gradient; None disables clipping.");
    public static readonly Option<int> MaxNumEpochs = Add("max_num_epochs", OptionSection.Training, PositiveInt, 2048,
        "Upper bound on epochs: the train_schedule defines them and must end before this.");

    // Fine-tuning
    public static readonly Option<string?> FoundationModel = Add("foundation_model", OptionSection.FineTuning, AnyPath, null,
        "Initialise the MACE backbone from this model (Python MACE .model, or a macescf MACE or fixed-point model file), restricted to the "
        + "training data's elements; the backbone architecture options are taken from it (docs/mace-import.md).");
    public static readonly Option<IReadOnlyList<string>> Freeze = Add("freeze", OptionSection.FineTuning, new FreezeKind(), (IReadOnlyList<string>)[],
        "Parameter groups not trained (bit for bit unchanged) in every stage without its own freeze key; backbone and interactions stand for their groups.");
}
