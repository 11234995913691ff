using System.Globalization;
using MaceScf.FixedPoint;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Reads and writes `train_schedule` (a mapping keyed 0..n-1, or the same as a dict string) with
/// the rules of the seed and the Python pipeline; see docs/configuration.md.
internal sealed class ScheduleKind : ValueKind<TrainSchedule>
{
    static readonly string[] StageKeys = ["name", "start", "end", "loss", "lr", "fixed_point_training_options", "freeze"];
    static readonly string[] FixedPointKeys = ["mode", "scf", "linear_solve", "fixedpoint_scf_stability"];
    static readonly string[] ScfKeys =
        ["num_scf_steps", "scf_tolerance", "constant_charge", "mixing_parameter", "scf_mixer", "anderson_depth", "initial_density", "initial_fermi_level",
            "use_autograd_forces"];

    static readonly EnumKind<TrainingMode> Modes = new();
    static readonly EnumKind<LinearSolve> Solvers = new();
    static readonly EnumKind<ScfMixer> Mixers = new();
    static readonly EnumKind<InitialDensity> Densities = new();
    static readonly EnumKind<InitialFermiLevel> FermiLevels = new();
    static readonly BoolKind Bool = new();
    static readonly FreezeKind Frozen = new();

    public override string TypeName => "dict {0: stage, 1: stage, ...}";

    public override bool StructuredOnCommandLine => true;

    public override TrainSchedule Read(YamlNode node, ValueContext context)
    {
        var (value, inner) = Nodes.Structured(node, context);
        var mapping = Nodes.Mapping(value, inner, "a mapping of stages keyed 0, 1, ...");
        var stages = new List<TrainingStage>();
        foreach (var (key, keyNode, stageNode) in Nodes.Entries(mapping, inner, null, "stage"))
        {
            int index = stages.Count;
            if (!Scalars.TryParseInt(key, out int k) || k != index)
                throw inner.Child(key).Error(keyNode, $"stages must be keyed 0, 1, ..., n-1 in order; expected {index}, got '{key}'");
            var stage = Stage(index, stageNode, inner.Child(key));
            if (index == 0 && stage.Start != 0)
                throw inner.Child(key).Child("start").Error(stageNode, $"stage 0 must start at epoch 0, got {stage.Start}");
            if (index > 0 && stage.Start != stages[^1].End + 1)
                throw inner.Child(key).Child("start").Error(stageNode,
                    $"stage {index} starts at epoch {stage.Start}, but stage {index - 1} ends at epoch {stages[^1].End} (inclusive); " +
                    $"stages must not overlap or leave gaps: start it at {stages[^1].End + 1}");
            if (stages.FirstOrDefault(s => s.Name == stage.Name) is { } same)
                throw inner.Child(key).Child("name").Error(stageNode,
                    $"stage {index} has the same name as stage {same.Index} ('{stage.Name}'); names must be unique (they name the checkpoint files)");
            stages.Add(stage);
        }
        if (stages.Count == 0) throw inner.Error(mapping, "needs at least one stage");
        return new TrainSchedule(stages);
    }

    static TrainingStage Stage(int index, YamlNode node, ValueContext context)
    {
        var mapping = Nodes.Mapping(node, context, "a stage mapping with name, start, end, loss, lr and fixed_point_training_options");
        var allowed = StageKeys.Concat(TrainingStage.ParameterGroups.Select(g => g + "_lr")).ToArray();
        string? name = null;
        int? start = null, end = null;
        IReadOnlyList<LossTerm>? loss = null;
        double lr = TrainingStage.DefaultLr;
        var groupLr = new List<KeyValuePair<string, double>>();
        YamlNode? fixedPointNode = null;
        IReadOnlyList<string>? freeze = null;
        var entries = Nodes.Entries(mapping, context, null, "stage key");
        foreach (var (key, keyNode, value) in entries)
        {
            var at = context.Child(key);
            switch (key)
            {
                case "name":
                    name = Nodes.Scalar(value, at, "a stage name");
                    if (name.Trim().Length == 0) throw at.Error(value, "must not be empty");
                    break;
                case "start": start = new IntKind(0).Read(value, at); break;
                case "end": end = new IntKind(0).Read(value, at); break;
                case "loss": loss = Loss(value, at); break;
                case "lr": lr = new DoubleKind(0, minimumExclusive: true).Read(value, at); break;
                case "fixed_point_training_options": fixedPointNode = value; break;
                case "freeze": freeze = Frozen.Read(value, at); break;
                case "scf_training_options":
                    throw at.Error(keyNode, "is the deprecated flat form; write fixed_point_training_options with mode and a nested scf block");
                default:
                    if (!allowed.Contains(key)) throw Nodes.UnknownKey(at, keyNode, key, allowed, "stage key");
                    groupLr.Add(new(key[..^3], new DoubleKind(0, minimumExclusive: true).Read(value, at)));
                    break;
            }
        }
        // fixed_point_training_options is required by the FixedPoint class and refused by the others (ConfigValidator).
        foreach (var required in new[] { "name", "start", "end", "loss" })
            if (!entries.Any(e => e.Key == required))
                throw context.Error(mapping, $"stage {index} needs '{required}'");
        if (end < start) throw context.Child("end").Error(mapping, $"end ({end}) must not be before start ({start}); end is inclusive");
        var options = fixedPointNode is null
            ? new FixedPointTrainingOptions(TrainingMode.Direct, null, LinearSolve.Inverse, false)
            : FixedPoint(fixedPointNode, context.Child("fixed_point_training_options"), loss!);
        return new TrainingStage(index, name!, start!.Value, end!.Value, loss!, lr, groupLr, options, freeze)
        {
            FixedPointOptionsGiven = fixedPointNode is not null,
        };
    }

    static IReadOnlyList<LossTerm> Loss(YamlNode node, ValueContext context)
    {
        var mapping = Nodes.Mapping(node, context, "a mapping of loss names to weights");
        var terms = new List<LossTerm>();
        foreach (var (name, _, value) in Nodes.Entries(mapping, context, LossTerm.KnownNames, "loss"))
        {
            var at = context.Child(name);
            if (value is not YamlMappingNode options)
            {
                terms.Add(new LossTerm(name, new DoubleKind(0).Read(value, at), []));
                continue;
            }
            var allowed = LossTerm.OptionNames(name).Prepend("weight").ToArray();
            double? weight = null;
            var extra = new List<KeyValuePair<string, double>>();
            foreach (var (key, _, entry) in Nodes.Entries(options, at, allowed, $"option of loss {name}"))
            {
                double v = new DoubleKind(key == "weight" ? 0 : null).Read(entry, at.Child(key));
                if (key == "weight") weight = v;
                else extra.Add(new(key, v));
            }
            if (weight is null) throw at.Error(options, "a loss given as a mapping needs a weight");
            terms.Add(new LossTerm(name, weight.Value, extra));
        }
        if (terms.Count == 0) throw context.Error(mapping, "needs at least one loss term");
        return terms;
    }

    static FixedPointTrainingOptions FixedPoint(YamlNode node, ValueContext context, IReadOnlyList<LossTerm> loss)
    {
        var mapping = Nodes.Mapping(node, context, "a mapping with mode and (except for direct) scf");
        TrainingMode? mode = null;
        YamlNode? scfNode = null;
        var solver = LinearSolve.Inverse;
        bool stability = loss.Any(t => t.Name == "fixedpoint_scf_stability");
        foreach (var (key, keyNode, value) in Nodes.Entries(mapping, context, null, "key"))
        {
            var at = context.Child(key);
            switch (key)
            {
                case "mode": mode = Modes.Read(value, at); break;
                case "scf": scfNode = value; break;
                case "linear_solve": solver = Solvers.Read(value, at); break;
                case "fixedpoint_scf_stability": stability = Bool.Read(value, at); break;
                default:
                    if (ScfKeys.Contains(key)) throw at.Error(keyNode, $"must be nested under scf (write scf: {{{key}: ...}})");
                    throw Nodes.UnknownKey(at, keyNode, key, FixedPointKeys, "key");
            }
        }
        if (mode is null) throw context.Error(mapping, "needs a mode: direct, unroll_scf, implicit or linearize_solve");
        string modeName = SnakeCase.Of(mode.Value);
        if (solver == LinearSolve.NormalCg && mode != TrainingMode.Implicit)
            throw context.Child("linear_solve").Error(mapping, $"normal_cg is only available with mode implicit, not {modeName}");
        if (mode == TrainingMode.Direct)
        {
            if (scfNode is not null)
                throw context.Child("scf").Error(scfNode, "mode direct does not run an SCF loop and must not have an scf block");
            return new FixedPointTrainingOptions(mode.Value, null, solver, stability);
        }
        if (scfNode is null)
            throw context.Error(mapping, $"mode {modeName} needs an scf block that sets num_scf_steps and mixing_parameter");
        return new FixedPointTrainingOptions(mode.Value, Scf(scfNode, context.Child("scf"), modeName), solver, stability);
    }

    static ScfOptions Scf(YamlNode node, ValueContext context, string modeName)
    {
        var mapping = Nodes.Mapping(node, context, "a mapping of SCF settings");
        var scf = new ScfOptions();
        var entries = Nodes.Entries(mapping, context, ScfKeys, "scf key");
        foreach (var (key, _, value) in entries)
        {
            var at = context.Child(key);
            scf = key switch
            {
                "num_scf_steps" => scf with { NumScfSteps = new IntKind(1).Read(value, at) },
                "scf_tolerance" => scf with { ScfTolerance = new DoubleKind(0, minimumExclusive: true).Read(value, at) },
                "constant_charge" => scf with { ConstantCharge = Bool.Read(value, at) },
                "mixing_parameter" => scf with { MixingParameter = new DoubleKind(0, minimumExclusive: true, maximum: 1).Read(value, at) },
                "scf_mixer" => scf with { Mixer = Mixers.Read(value, at) },
                "anderson_depth" => scf with { AndersonDepth = new IntKind(1).Read(value, at) },
                "initial_density" => scf with { InitialDensity = Densities.Read(value, at) },
                "initial_fermi_level" => scf with { InitialFermiLevel = FermiLevels.Read(value, at) },
                _ => scf with { UseAutogradForces = Bool.Read(value, at) },
            };
        }
        foreach (var required in new[] { "num_scf_steps", "mixing_parameter" })
            if (!entries.Any(e => e.Key == required))
                throw context.Child(required).Error(mapping, $"mode {modeName} must set {required} explicitly in the scf block");
        return scf;
    }

    public override YamlNode Write(TrainSchedule value)
    {
        var root = new YamlMappingNode();
        foreach (var stage in value.Stages)
            root.Add(Scalars.Number(stage.Index), WriteStage(stage));
        return root;
    }

    static YamlMappingNode WriteStage(TrainingStage stage)
    {
        var loss = new YamlMappingNode();
        foreach (var term in stage.Loss)
        {
            if (term.Options.Count == 0) { loss.Add(Scalars.Plain(term.Name), Scalars.Number(term.Weight)); continue; }
            var withOptions = new YamlMappingNode { { Scalars.Plain("weight"), Scalars.Number(term.Weight) } };
            foreach (var (k, v) in term.Options) withOptions.Add(Scalars.Plain(k), Scalars.Number(v));
            loss.Add(Scalars.Plain(term.Name), withOptions);
        }
        var map = new YamlMappingNode
        {
            { Scalars.Plain("name"), Scalars.Quoted(stage.Name) },
            { Scalars.Plain("start"), Scalars.Number(stage.Start) },
            { Scalars.Plain("end"), Scalars.Number(stage.End) },
            { Scalars.Plain("loss"), loss },
            { Scalars.Plain("lr"), Scalars.Number(stage.Lr) },
        };
        foreach (var (group, lr) in stage.GroupLr) map.Add(Scalars.Plain(group + "_lr"), Scalars.Number(lr));
        if (stage.Freeze is { } freeze) map.Add(Scalars.Plain("freeze"), freeze.Count == 0 ? DoubleListKind.Flow([]) : Frozen.Write(freeze));
        if (!stage.FixedPointOptionsGiven) return map;
        var options = stage.FixedPointTrainingOptions;
        var fixedPoint = new YamlMappingNode { { Scalars.Plain("mode"), Modes.Write(options.Mode) } };
        if (options.Scf is { } scf)
            fixedPoint.Add(Scalars.Plain("scf"), new YamlMappingNode
            {
                { Scalars.Plain("num_scf_steps"), Scalars.Number(scf.NumScfSteps) },
                { Scalars.Plain("scf_tolerance"), Scalars.Number(scf.ScfTolerance) },
                { Scalars.Plain("constant_charge"), Bool.Write(scf.ConstantCharge) },
                { Scalars.Plain("mixing_parameter"), Scalars.Number(scf.MixingParameter) },
                { Scalars.Plain("scf_mixer"), Mixers.Write(scf.Mixer) },
                { Scalars.Plain("anderson_depth"), Scalars.Number(scf.AndersonDepth) },
                { Scalars.Plain("initial_density"), Densities.Write(scf.InitialDensity) },
                { Scalars.Plain("initial_fermi_level"), FermiLevels.Write(scf.InitialFermiLevel) },
                { Scalars.Plain("use_autograd_forces"), Bool.Write(scf.UseAutogradForces) },
            });
        fixedPoint.Add(Scalars.Plain("linear_solve"), Solvers.Write(options.LinearSolve));
        fixedPoint.Add(Scalars.Plain("fixedpoint_scf_stability"), Bool.Write(options.FixedPointScfStability));
        map.Add(Scalars.Plain("fixed_point_training_options"), fixedPoint);
        return map;
    }
}
