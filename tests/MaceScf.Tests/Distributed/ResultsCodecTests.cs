using MaceScf.Calculators;
using MaceScf.Distributed;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;

namespace MaceScf.Tests.Distributed;

/// The per-frame records the ranks gather results by (<see cref="ResultsCodec"/>) give back what was encoded, bit for bit.
public sealed class ResultsCodecTests
{
    static double[,] Matrix(int rows, int columns, double seed) =>
        Enumerable.Range(0, rows * columns).Aggregate(new double[rows, columns], (m, k) => { m[k / columns, k % columns] = seed * Math.Sin(k + 1) / 3; return m; });

    [Fact]
    public void Every_output_goes_through_unchanged()
    {
        var results = new CalculatorResults(-12.345678901234567, new Dictionary<string, double> { ["mace"] = -10.1, ["electrostatics"] = -2.245678901234567 })
        {
            NodeEnergies = [-1.5, double.Epsilon], Forces = Matrix(2, 3, 0.7), Stress = Matrix(3, 3, 1e-3), Virial = Matrix(3, 3, -2.5),
            Electronegativity = [4.25, -1e-300], Hardness = [7.5, 8.125], Density = Matrix(2, 4, 0.31), Dipole = [0.1, -0.2, 1.0 / 3],
            TotalCharge = -1e-17, FermiLevel = -4.7, Status = ScfStatus.NoChargeResponse, Steps = 41, History = [0.5, 1e-3, 7.7e-13],
            Derivation = new ForcesDerivation(ForcesMethod.Unroll, "implicit adjoint solve poor (GMRES relative residual 1.2E-003)"),
            Potential = [double.NaN, 2.0], FieldFeatures = Matrix(2, 5, 3.0), BornCharges = Matrix(2, 9, 0.9), Polarizability = Matrix(3, 3, 2.2),
            PolarizabilityAtFermiLevel = Matrix(3, 3, 2.4), ResponseFailure = "SCF not converged: μ ≠ 0 ✓", Electrostatics = (BoundaryMethod.Pbc, 1234),
        };
        var record = ResultsCodec.Encode(results);
        var decoded = ResultsCodec.Decode(record);
        Assert.Equal(record.Select(BitConverter.DoubleToInt64Bits), ResultsCodec.Encode(decoded).Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(results.Energy, decoded.Energy);
        Assert.Equal(results.Terms, decoded.Terms);
        Assert.Equal(results.Forces, decoded.Forces);
        Assert.Equal(results.Density, decoded.Density);
        Assert.Equal(results.History, decoded.History);
        Assert.Equal(ScfStatus.NoChargeResponse, decoded.Status);
        Assert.Equal(41, decoded.Steps);
        Assert.Equal(results.Derivation, decoded.Derivation);
        Assert.Equal(results.ResponseFailure, decoded.ResponseFailure);
        Assert.Equal(results.Electrostatics, decoded.Electrostatics);
        Assert.Equal(results.Properties, decoded.Properties);
    }

    [Fact]
    public void Missing_outputs_stay_missing()
    {
        var decoded = ResultsCodec.Decode(ResultsCodec.Encode(new CalculatorResults(1.25, new Dictionary<string, double>())));
        Assert.Equal(1.25, decoded.Energy);
        Assert.Empty(decoded.Terms);
        Assert.Null(decoded.Forces);
        Assert.Null(decoded.TotalCharge);
        Assert.Null(decoded.Status);
        Assert.Null(decoded.Derivation);
        Assert.Null(decoded.Electrostatics);
        Assert.Empty(decoded.History);
    }
}
