using MaceScf.FixedPoint;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// <summary>
/// A fixed-point SCF model as a calculator. With a warm start (<see cref="WarmStart"/>), each SCF starts from the converged
/// densities and Fermi levels of the previous calls, the last one or extrapolated in time (as initial_density and
/// initial_fermi_level from_data), instead of the options' starting point; the state is dropped when the number of atoms,
/// the species, the cell or the pbc change. A failed SCF throws <see cref="ScfDivergedException"/> (or, for a density that
/// does not respond to the Fermi level, <see cref="ScfFailedException"/>) from <see cref="Calculator.Calculate"/>;
/// <see cref="ModelCalculator.CalculateAll"/> reports it in the status instead.
/// </summary>
public sealed class FixedPointCalculator(FixedPointModel model, ScfOptions options, WarmStart warmStart = WarmStart.None)
    : ModelCalculator(model, model.Hyperparameters.FermiLevelOffset)
{
    /// Converged densities and Fermi levels of the last calls, newest first.
    private readonly List<(double[,] Density, double FermiLevel)> _previous = [];

    /// <summary>The SCF settings of this calculator.</summary>
    public ScfOptions Options { get; } = options;

    private protected override bool StartsFromData => Options.InitialDensity == InitialDensity.FromData;

    private protected override PredictionRequest Request(CalculatorProperties properties, bool warmStart) => new()
    {
        Forces = properties.HasFlag(CalculatorProperties.Forces),
        Stress = properties.HasFlag(CalculatorProperties.Stress),
        BornCharges = properties.HasFlag(CalculatorProperties.BornCharges),
        Polarizability = properties.HasFlag(CalculatorProperties.Polarizability),
        Scf = warmStart ? Options with { InitialDensity = InitialDensity.FromData, InitialFermiLevel = InitialFermiLevel.FromData } : Options,
    };

    /// <inheritdoc/>
    protected override CalculatorResults Compute(Structure structure, CalculatorProperties properties)
    {
        using var scope = NewDisposeScope();
        var results = Batch([structure], properties, Extrapolated()).Single();
        ScfFailedException.ThrowIfFailed(results);
        if ((properties & (CalculatorProperties.BornCharges | CalculatorProperties.Polarizability)) != 0 && results.ResponseFailure is { } why)
            throw new ScfFailedException($"no Born charges or polarizability: {why}", results);
        if (warmStart != WarmStart.None)
        {
            _previous.Insert(0, (results.Density!, results.FermiLevel!.Value));
            if (_previous.Count > WarmStartNames.Order(warmStart) + 1) _previous.RemoveAt(_previous.Count - 1);
        }
        return results;
    }

    /// The next SCF's starting point Σ_k c_k y(t−k) over the stored calls (weights summing to 1, so the total charge is kept),
    /// or null without stored calls.
    private ScfStart? Extrapolated()
    {
        if (_previous.Count == 0) return null;
        var c = WarmStartNames.Coefficients(warmStart, _previous.Count);
        var last = _previous[0].Density;
        var densities = stack(_previous.Take(c.Length).Select(p => tensor(p.Density, dtype: ScalarType.Float64).flatten()).ToArray());
        var density = matmul(tensor(c, dtype: ScalarType.Float64).view(1, -1), densities).view(last.GetLength(0), last.GetLength(1));
        double fermiLevel = c.Select((w, k) => w * _previous[k].FermiLevel).Sum();
        return new ScfStart(density.to_type(Model.Dtype), tensor(new[] { fermiLevel }, dtype: Model.Dtype));
    }

    /// <inheritdoc/>
    protected override void ResetState() => _previous.Clear();
}
