using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.FixedPoint;

namespace MaceScf.Md;

/// A saved model as the potential of an MD run: one system (species, total charge, Fermi level, external field and pbc of
/// a template frame) evaluated through a warm-started <see cref="FixedPointCalculator"/> at the positions and cell of each
/// step, with energy, forces and, for a periodic system, the virial. Each step's SCF starts as <paramref name="warmStart"/>
/// says. A failed SCF stops the run: the calculator throws <see cref="ScfDivergedException"/> (or
/// <see cref="ScfFailedException"/>) rather than hand a diverged energy and forces to the integrator.
/// <param name="model">the saved model</param>
/// <param name="template">the frame whose species, total charge, Fermi level, field and pbc the run keeps</param>
/// <param name="options">the SCF settings of every step</param>
/// <param name="warmStart">where each step's SCF starts</param>
/// <param name="conditions">total charge, Fermi level or applied field replacing the template's; null keeps them</param>
internal sealed class MdPotential(FixedPointModel model, LabelledConfiguration template, ScfOptions options, WarmStart warmStart = WarmStart.Last,
    RunConditions? conditions = null)
{
    private readonly FixedPointCalculator _calculator = new(model, options, warmStart);
    private readonly Structure _system = (conditions ?? new()).Apply(Structure.Of(template));
    private int _step;

    private Configuration System => template.Configuration;

    public bool Periodic => System.Pbc.Any(p => p);

    /// <param name="positions">[N, 3] Å, atoms in the order of the template</param>
    /// <param name="cell">lattice vectors as rows (Å); all zeros or null for none</param>
    public CalculatorResults Evaluate(double[,] positions, double[,]? cell)
    {
        int step = _step++;
        if (positions.GetLength(0) != System.AtomCount)
            throw new InvalidDataException($"step {step}: the server sent {positions.GetLength(0)} atoms, the initial structure "
                + $"({System.DescribeOrigin()}) has {System.AtomCount}");
        if (cell is not null && cell.Cast<double>().All(x => x == 0)) cell = null;
        if (Periodic && cell is null) throw new InvalidDataException($"step {step}: the system is periodic (pbc) but the server sent no cell");
        var atoms = new Configuration(System.AtomicNumbers, positions, cell, System.Pbc) { SourceName = System.SourceName, FrameIndex = System.FrameIndex };
        CalculatorResults results;
        try
        {
            results = _calculator.Calculate(_system with { Atoms = atoms },
                CalculatorProperties.Energy | CalculatorProperties.Forces | (Periodic ? CalculatorProperties.Stress : 0));
        }
        catch (ScfDivergedException e)
        {
            throw new ScfDivergedException($"step {step}: {e.Message}; stopping instead of passing a diverged energy and forces to the server", e.Results);
        }
        catch (ScfFailedException e)
        {
            throw new ScfFailedException($"step {step}: {e.Message}; stopping", e.Results);
        }
        if (!double.IsFinite(results.Energy) || results.Forces!.Cast<double>().Any(f => !double.IsFinite(f)))
            throw new InvalidDataException($"step {step}: the energy or forces are not finite; stopping");
        return results;
    }

    /// −∂E/∂ε (eV) of a periodic step, zeros without a stress.
    public static double[,] Virial(CalculatorResults results) => results.Virial ?? new double[3, 3];
}
