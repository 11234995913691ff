using System.Globalization;
using System.Text.Json;
using MaceScf.Tests.Data;

namespace MaceScf.Tests.Benchmarks;

/// data/benchmarks/generate.py's conversion of xtb output (Hartree, Bohr, e·Bohr) into the labels (eV, Å, e·Å), checked on
/// recorded GFN2-xTB 6.5.1 runs of an Ag3+ triangle (Benchmarks/xtb-ag3: center, and atom 0 moved by ±0.002 Å along x) against
/// physics rather than the same constants: forces = −finite differences of the converted energies, the molecular dipole =
/// Σ q r + Σ d from the converted charges, atomic dipoles and the input positions in Å.
public sealed class XtbConverterTests
{
    static readonly string Recorded = Path.Combine(AppContext.BaseDirectory, "Benchmarks", "xtb-ag3");

    static JsonElement Convert(string run) =>
        JsonDocument.Parse(AsePython.Output(Path.Combine("data", "benchmarks", "generate.py"), "--convert", Path.Combine(Recorded, run)))
            .RootElement.Clone();

    static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();

    static double[][] Positions(string run) => File.ReadAllLines(Path.Combine(Recorded, run, "input.xyz")).Skip(2)
        .Where(l => l.Trim().Length > 0)
        .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    [Fact]
    public void Converted_forces_are_minus_the_finite_differences_of_the_converted_energies()
    {
        var center = Convert("center");
        double plus = Convert("plus").GetProperty("energy").GetDouble(), minus = Convert("minus").GetProperty("energy").GetDouble();
        double h = Positions("plus")[0][0] - Positions("minus")[0][0];
        Assert.Equal(0.004, h, 12);
        double fx = Matrix(center.GetProperty("forces"))[0][0];
        // |F| about 1 eV/Å; the finite difference of xtb's converged energies agrees to 1e-4 relative.
        Assert.Equal(-(plus - minus) / h, fx, 3e-4 * Math.Abs(fx));
        Assert.InRange(Math.Abs(fx), 0.5, 2.0);
        // The energy: xtbout.json's total energy (Hartree) as eV, equal to the engrad file's.
        Assert.Equal(-11.31268955 * 27.211386245988, center.GetProperty("energy").GetDouble(), 1e-6);
        Assert.Equal(center.GetProperty("energy").GetDouble(), center.GetProperty("engrad_energy").GetDouble(), 1e-5);
    }

    [Fact]
    public void The_converted_molecular_dipole_is_the_sum_of_charges_times_positions_and_atomic_dipoles_in_angstrom()
    {
        var center = Convert("center");
        var multipoles = Matrix(center.GetProperty("atomic_multipoles"));   // [q, p_y, p_z, p_x]
        var positions = Positions("center");
        var dipole = center.GetProperty("dipole").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(1.0, multipoles.Sum(m => m[0]), 6);
        for (int a = 0; a < 3; a++)
        {
            int column = a switch { 0 => 3, 1 => 1, _ => 2 };
            double expected = multipoles.Select((m, i) => m[0] * positions[i][a] + m[column]).Sum();
            Assert.Equal(expected, dipole[a], 1e-5);
        }
        // xtbout.json: dipole x 2.52796410 e·Bohr; atom 0's atomic dipole x −1.12524501 e·Bohr → column p_x.
        Assert.Equal(2.52796410 * 0.529177210903, dipole[0], 1e-8);
        Assert.Equal(-1.12524501 * 0.529177210903, multipoles[0][3], 1e-8);
    }
}
