using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// The example schedule of the seed document ("Example Schedule"), verbatim.
public class SeedExampleTests
{
    const string SeedExample = """
        train_schedule:
          0:
            name: direct
            start: 0
            end: 99
            loss:
              atomic_multipoles: 100.0
              total_charge_per_atom: 1000.0
              dipole_per_atom: 1000000.0
              energy_per_atom: 10.0
              forces: 100.0
            lr: 0.01
            fixed_point_training_options:
              mode: direct
          1:
            name: unroll
            start: 100
            end: 110
            loss:
              atomic_multipoles: 100.0
              total_charge_per_atom: 1000.0
              dipole_per_atom: 1000000.0
              energy_per_atom: 1000.0
              forces: 100.0
            lr: 0.001
            fixed_point_training_options:
              mode: unroll_scf
              scf:
                num_scf_steps: 10
                constant_charge: true
                mixing_parameter: 0.3
                initial_density: from_data
                initial_fermi_level: from_data
                use_autograd_forces: true
        """;

    static readonly string[] RequiredOnCommandLine =
    [
        "--train_file", "train.xyz",
        "--error_table", "EnergyDensityDipoleRMSE",
        "--hidden_irreps", "8x0e+8x1o",
        "--heads", "{DFT: {info_keys: {total_charge: total_charge, energy: E}, arrays_keys: {forces: F}}}",
    ];

    [Fact]
    public void Seed_example_loads_with_its_stages()
    {
        var config = ConfigFixture.Load(SeedExample, RequiredOnCommandLine);
        var stages = config.Schedule.Stages;
        Assert.Equal(2, stages.Count);

        var direct = stages[0];
        Assert.Equal(("direct", 0, 99, 100), (direct.Name, direct.Start, direct.End, direct.EpochCount));
        Assert.Equal(0.01, direct.Lr);
        Assert.Equal(
            [("atomic_multipoles", 100.0), ("total_charge_per_atom", 1000.0), ("dipole_per_atom", 1e6), ("energy_per_atom", 10.0), ("forces", 100.0)],
            direct.Loss.Select(t => (t.Name, t.Weight)));
        Assert.Equal(TrainingMode.Direct, direct.FixedPointTrainingOptions.Mode);
        Assert.Null(direct.FixedPointTrainingOptions.Scf);

        var unroll = stages[1];
        Assert.Equal(("unroll", 100, 110, 11), (unroll.Name, unroll.Start, unroll.End, unroll.EpochCount));
        Assert.Equal(0.001, unroll.Lr);
        Assert.Equal(1000.0, unroll.Loss.Single(t => t.Name == "energy_per_atom").Weight);
        var options = unroll.FixedPointTrainingOptions;
        Assert.Equal(TrainingMode.UnrollScf, options.Mode);
        Assert.Equal(LinearSolve.Inverse, options.LinearSolve);
        Assert.False(options.FixedPointScfStability);
        var scf = options.Scf!;
        Assert.Equal(10, scf.NumScfSteps);
        Assert.Equal(0.3, scf.MixingParameter);
        Assert.True(scf.ConstantCharge);
        Assert.Equal(InitialDensity.FromData, scf.InitialDensity);
        Assert.Equal(InitialFermiLevel.FromData, scf.InitialFermiLevel);
        Assert.True(scf.UseAutogradForces);
        Assert.Equal(1e-6, scf.ScfTolerance);

        Assert.Equal(110, config.Schedule.LastEpoch);
        Assert.Same(unroll, config.Schedule.StageOfEpoch(105));
        Assert.Null(config.Schedule.StageOfEpoch(111));
        Assert.Equal(ValueSource.ConfigFile, config.SourceOf(TrainingOptions.TrainSchedule));
        Assert.Equal(ValueSource.CommandLine, config.SourceOf(TrainingOptions.Heads));
        Assert.Equal("DFT", config.Heads.HeadName);
        Assert.Equal("E", config.Heads.InfoKeys["energy"]);
    }

    [Fact]
    public void Seed_example_without_the_required_options_names_the_first_missing_one()
    {
        var e = ConfigFixture.Fails(SeedExample);
        Assert.Equal("heads", e.KeyPath);
        Assert.Contains("is required", e.Message);
    }
}
