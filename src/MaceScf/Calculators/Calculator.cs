namespace MaceScf.Calculators;

/// <summary>
/// An ASE-style calculator: the requested properties of one structure, cached until the structure or its conditions change.
/// </summary>
public interface ICalculator
{
    /// <summary>
    /// The results for <paramref name="structure"/>: the cached ones when the same structure was calculated with at least these
    /// properties, otherwise computed.
    /// </summary>
    /// <param name="structure">the atoms and their conditions (total charge, Fermi level, applied field)</param>
    /// <param name="properties">what to compute besides the energy</param>
    /// <exception cref="ScfDivergedException">the SCF of a self-consistent model diverged</exception>
    CalculatorResults Calculate(Structure structure, CalculatorProperties properties = CalculatorProperties.Energy | CalculatorProperties.Forces);

    /// <summary>Forgets the cached results and any state kept between calls (warm start).</summary>
    void Reset();
}

/// <summary>
/// The cache and state handling shared by every calculator (ASE's Calculator.check_state): results are reused while nothing
/// changed; the state kept between calls is dropped when the number of atoms, the species, the cell or the pbc change.
/// </summary>
public abstract class Calculator : ICalculator
{
    private Structure? _last;
    private CalculatorResults? _results;

    /// <inheritdoc/>
    public CalculatorResults Calculate(Structure structure, CalculatorProperties properties = CalculatorProperties.Energy | CalculatorProperties.Forces)
    {
        var changes = StructureComparison.Compare(_last, structure);
        if (changes == SystemChanges.None && _results is not null && (_results.Properties & properties) == properties) return _results;
        if ((changes & (SystemChanges.Numbers | SystemChanges.Cell | SystemChanges.Pbc)) != 0) ResetState();
        _last = null;
        _results = null;
        var results = Compute(structure, properties);
        _last = structure.Copy();
        _results = results;
        return results;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _last = null;
        _results = null;
        ResetState();
    }

    /// <summary>Computes the results of one structure (no cache).</summary>
    protected abstract CalculatorResults Compute(Structure structure, CalculatorProperties properties);

    /// <summary>Drops the state kept between calls; nothing by default.</summary>
    protected virtual void ResetState() { }
}
