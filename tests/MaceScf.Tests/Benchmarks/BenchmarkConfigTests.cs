using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Tests.Benchmarks;

/// data/benchmarks/configs (trained by data/benchmarks/run.py, results in docs/accuracy.md): every config loads with the data of
/// its system, the fixed-point classes end at the converged fixed point, and each local baseline has the schedule of its
/// fixed-point class and its energy and forces weights.
public sealed class BenchmarkConfigTests
{
    static readonly string Benchmarks = Path.Combine(TestData.RepositoryRoot, "data", "benchmarks");

    /// The config run.py uses for a class and system: configs/<class>.<system>.yaml when it exists, else configs/<class>.yaml.
    static TrainingConfig Load(string cls, string system)
    {
        string own = Path.Combine(Benchmarks, "configs", $"{cls}.{system}.yaml");
        string config = File.Exists(own) ? own : Path.Combine(Benchmarks, "configs", $"{cls}.yaml");
        string data = Path.Combine(Benchmarks, system);
        return TrainingConfigLoader.Load(["--config", config, "--train_file", Path.Combine(data, "train.xyz"),
            "--valid_file", Path.Combine(data, "valid.xyz"), "--test_file", Path.Combine(data, "test.xyz")], Path.GetTempPath());
    }

    [Theory]
    [InlineData("ag3")]
    [InlineData("c10h2")]
    [InlineData("nacl")]
    public void Fixed_point_class_ends_at_the_converged_fixed_point_and_the_local_class_mirrors_it(string system)
    {
        var converged = Load("converged", system);
        var last = converged.Schedule.Stages[^1].FixedPointTrainingOptions;
        Assert.Equal(TrainingMode.LinearizeSolve, last.Mode);
        Assert.Equal((true, InitialDensity.LocalGuess), (last.Scf!.ConstantCharge, last.Scf.InitialDensity));

        var local = Load("local", system);
        Assert.Equal(converged.Schedule.Stages.Select(s => (s.Start, s.End)), local.Schedule.Stages.Select(s => (s.Start, s.End)));
        // The same weights on energy and forces in every stage: a baseline trained with other weights is not a fair comparison
        // (docs/accuracy.md, "Tenth session").
        Assert.Equal(converged.Schedule.Stages.Select(EnergyAndForcesWeights), local.Schedule.Stages.Select(EnergyAndForcesWeights));
        Assert.Equal([1e12, 1e12, 1e12, 1e12], local.Get(TrainingOptions.FieldFeatureNorms).Values);
        Assert.False(local.Schedule.Stages[^1].FixedPointTrainingOptions.Scf!.ConstantCharge);
        Assert.Equal("converged", converged.Run.Name);
        Assert.Equal("local", local.Run.Name);
    }

    static (double Energy, double Forces) EnergyAndForcesWeights(TrainingStage stage) =>
        (stage.Loss.Single(l => l.Name == "energy_per_atom").Weight, stage.Loss.Single(l => l.Name == "forces").Weight);

    /// The classes without an SCF (run.py's other rows): each loads for every system it applies to, passing the class rules
    /// (no SCF options, only losses the class predicts), with the run name run.py looks for.
    [Theory]
    [InlineData("mace", "MACE", "ag3")]
    [InlineData("mace", "MACE", "c10h2")]
    [InlineData("mace", "MACE", "nacl")]
    [InlineData("local_charges", "LocalCharges", "ag3")]
    [InlineData("local_charges", "LocalCharges", "c10h2")]
    [InlineData("local_charges", "LocalCharges", "nacl")]
    [InlineData("split_charges", "LocalSplitCharges", "c10h2")]
    [InlineData("split_charges", "LocalSplitCharges", "nacl")]
    [InlineData("qeq", "MACEQEq", "ag3")]
    [InlineData("qeq", "MACEQEq", "c10h2")]
    [InlineData("qeq", "MACEQEq", "nacl")]
    public void Class_without_an_scf_loads_for_its_systems(string cls, string model, string system)
    {
        var config = Load(cls, system);
        Assert.Equal(model, config.Get(TrainingOptions.Model));
        Assert.Equal(cls, config.Run.Name);
    }
}
