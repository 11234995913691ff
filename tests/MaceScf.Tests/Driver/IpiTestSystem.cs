using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.Cli;
using MaceScf.Tests.FixedPoint;

namespace MaceScf.Tests.Driver;

/// A small saved model and initial structures from the bundled water clusters for the i-PI driver tests: frame 0 of
/// test_configs.xyz (H5O3⁻ cluster, 8 atoms, no pbc) and frame 4 (5 atoms, periodic).
public sealed class IpiTestSystem : IDisposable
{
    /// A tight SCF, so that warm-started and cold-started evaluations agree far below the test tolerances. At constant Fermi
    /// level: this random model's charge hardly responds to μ, so at constant charge its SCF walks μ 1 V per update.
    public static readonly string[] ScfArguments =
        ["--constant_charge", "false", "--mixing_parameter", "0.5", "--num_scf_steps", "200", "--scf_tolerance", "1e-10"];

    public static readonly ScfOptions Scf = new() { ConstantCharge = false, MixingParameter = 0.5, NumScfSteps = 200, ScfTolerance = 1e-10 };

    public IpiTestSystem()
    {
        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
        };
        using (var model = FixedPointTestSystems.Damped(hp, 41, 0.3)) ModelFile.Save(model, ModelPath);
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"));
        ExtXyzWriter.Write(Cluster, [frames[0]]);
        ExtXyzWriter.Write(Periodic, [frames[4]]);
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("macescf-ipi-").FullName;

    public string ModelPath => Path.Combine(Folder, "model.macescf");

    public string Cluster => Path.Combine(Folder, "cluster.xyz");

    public string Periodic => Path.Combine(Folder, "periodic.xyz");

    public static string Keys => EvalCommandTests.Keys;

    /// The model's prediction (cold start) for the first frame of <paramref name="init"/> at other positions and cell.
    internal CalculatorResults Evaluate(string init, double[,] positions, double[,]? cell, MaceScf.Md.RunConditions? conditions = null)
    {
        var source = ExtXyzReader.ReadAll(init)[0];
        var frame = new Configuration(source.AtomicNumbers, positions, cell, source.Pbc);
        foreach (var (k, v) in source.Info) frame.Info[k] = v;
        using var model = ModelFile.Load(ModelPath);
        var labelled = new LabelExtractor(MaceScf.Cli.Commands.EvalCommand.ParseKeys(Keys), model.Hyperparameters.Electrostatics.DensityMaxL).Extract(frame);
        return new FixedPointCalculator(model, Scf).Calculate((conditions ?? new()).Apply(Structure.Of(labelled)),
            CalculatorProperties.Energy | CalculatorProperties.Forces | (source.Pbc.Any(p => p) ? CalculatorProperties.Stress : 0));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
