using MaceScf.Cli;
using MaceScf.Cli.Commands;
using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// Every initial_density and initial_fermi_level value reaches the model's SCF options unchanged: from a stage's scf block in
/// config.yaml, from --train_schedule on the `macescf train` command line (and through the rendered --print-config), and from
/// the `macescf eval` flags; so do scf_mixer and anderson_depth. (The training configuration once had its own copy of these enums; `initial_density: zero` was
/// refused in a stage's scf block.)
public class ScfStartingPointTests
{
    public static TheoryData<InitialDensity> Densities => new(Enum.GetValues<InitialDensity>());

    public static TheoryData<InitialFermiLevel> FermiLevels => new(Enum.GetValues<InitialFermiLevel>());

    static string Schedule(string key, string value) =>
        "{0: {name: unroll, start: 0, end: 0, loss: {forces: 1.0}, fixed_point_training_options: "
        + $"{{mode: unroll_scf, scf: {{num_scf_steps: 7, mixing_parameter: 0.3, constant_charge: false, {key}: {value}}}}}}}}}";

    /// The stage's SCF options from config.yaml, from the train command line and from the rendered configuration.
    static IEnumerable<ScfOptions> FromTraining(string key, string value)
    {
        var fromFile = ConfigFixture.Load(ConfigFixture.Required + $"train_schedule: {Schedule(key, value)}\n");
        var fromCommandLine = ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule, "--train_schedule", Schedule(key, value));
        var rendered = TrainingConfigLoader.FromText(fromCommandLine.Render(), "rendered", ConfigFixture.NewFolder(), []);
        return new[] { fromFile, fromCommandLine, rendered }.Select(c =>
        {
            var scf = c.Schedule.Stages.Single().FixedPointTrainingOptions.Scf!;
            Assert.Equal((7, 0.3, false), (scf.NumScfSteps, scf.MixingParameter, scf.ConstantCharge));
            return scf;
        });
    }

    static ScfOptions FromEval(string key, string value) => ScfFlags.Read(new CommandLine(["--" + key, value], new HashSet<string>()));

    [Theory]
    [MemberData(nameof(Densities))]
    public void Every_initial_density_reaches_the_scf(InitialDensity density)
    {
        string name = SnakeCase.Of(density);
        Assert.All(FromTraining("initial_density", name), scf => Assert.Equal(density, scf.InitialDensity));
        Assert.Equal(density, FromEval("initial_density", name).InitialDensity);
        Assert.Contains(name, ScfFlags.Help.Split('\n').Single(l => l.Contains("--initial_density")));
    }

    [Theory]
    [MemberData(nameof(FermiLevels))]
    public void Every_initial_fermi_level_reaches_the_scf(InitialFermiLevel fermiLevel)
    {
        string name = SnakeCase.Of(fermiLevel);
        Assert.All(FromTraining("initial_fermi_level", name), scf => Assert.Equal(fermiLevel, scf.InitialFermiLevel));
        Assert.Equal(fermiLevel, FromEval("initial_fermi_level", name).InitialFermiLevel);
        Assert.Contains(name, ScfFlags.Help.Split('\n').Single(l => l.Contains("--initial_fermi_level")));
    }

    public static TheoryData<ScfMixer> Mixers => new(Enum.GetValues<ScfMixer>());

    [Theory]
    [MemberData(nameof(Mixers))]
    public void Every_scf_mixer_reaches_the_scf(ScfMixer mixer)
    {
        string name = SnakeCase.Of(mixer);
        Assert.All(FromTraining("scf_mixer", name), scf => Assert.Equal(mixer, scf.Mixer));
        Assert.Equal(mixer, FromEval("scf_mixer", name).Mixer);
        Assert.Contains(name, ScfFlags.Help.Split('\n').Single(l => l.Contains("--scf_mixer")));
    }

    [Fact]
    public void Anderson_depth_reaches_the_scf_and_defaults_to_the_measured_value()
    {
        Assert.All(FromTraining("anderson_depth", "3"), scf => Assert.Equal(3, scf.AndersonDepth));
        Assert.Equal(3, FromEval("anderson_depth", "3").AndersonDepth);
        Assert.All(FromTraining("scf_mixer", "anderson"), scf => Assert.Equal(ScfOptions.DefaultAndersonDepth, scf.AndersonDepth));
        Assert.Contains("must be at least 1, got 0", ConfigFixture.Fails(ConfigFixture.Required + $"train_schedule: {Schedule("anderson_depth", "0")}\n").Message);
    }

    [Fact]
    public void Eval_without_scf_flags_uses_the_scf_defaults() =>
        Assert.Equal(new ScfOptions(), ScfFlags.Read(new CommandLine([], new HashSet<string>())));
}
