using MaceScf.Synthetic;
using Xunit.Abstractions;
using static MaceScf.Tests.Synthetic.SynthFixtures;

namespace MaceScf.Tests.Synthetic;

/// The teacher's exact response (docs/response.md) against central differences of its own solutions: Z* = dP/dR and, the
/// teacher's energy being variational, Z*_i,αβ = ∂F_iβ/∂E_α; α = dP/dE in both ensembles.
public sealed class TeacherResponseTests(ITestOutputHelper output)
{
    const double Step = 1e-4;

    static double[] Field(SyntheticStructure s, int axis, double delta)
    {
        var field = (double[])s.ExternalField.Clone();
        field[axis] += delta;
        return field;
    }

    [Theory]
    [InlineData("water_cluster", 3)]   // constant charge
    [InlineData("conductor", 4)]       // constant Fermi level, in a field
    public void ExactResponseIsTheFiniteDifferenceOfDipoleAndForces(string system, int seed)
    {
        var structure = Structure(system, seed);
        var exact = TeacherResponse.Of(Teacher.Parameters, structure);
        int n = structure.AtomCount;
        double worstBorn = 0, worstForce = 0, scale = exact.BornCharges.Cast<double>().Max(Math.Abs);
        for (int i = 0; i < n; i++)
            for (int b = 0; b < 3; b++)
            {
                var plus = Teacher.Solve(Moved(structure, i, b, Step)).Dipole;
                var minus = Teacher.Solve(Moved(structure, i, b, -Step)).Dipole;
                for (int a = 0; a < 3; a++)
                    worstBorn = Math.Max(worstBorn, Math.Abs((plus[a] - minus[a]) / (2 * Step) - exact.BornCharges[i, 3 * a + b]));
            }
        var alpha = structure.Constraint.IsFixedFermiLevel ? exact.PolarizabilityAtFermiLevel : exact.Polarizability;
        double worstAlpha = 0;
        for (int a = 0; a < 3; a++)
        {
            // E = −external_field: F(E + h e_α) is the solution at external_field − h e_α.
            var plus = Teacher.Solve(structure with { ExternalField = Field(structure, a, -Step) });
            var minus = Teacher.Solve(structure with { ExternalField = Field(structure, a, Step) });
            for (int i = 0; i < n; i++)
                for (int b = 0; b < 3; b++)
                    worstForce = Math.Max(worstForce, Math.Abs((plus.Forces[i, b] - minus.Forces[i, b]) / (2 * Step) - exact.BornCharges[i, 3 * a + b]));
            for (int b = 0; b < 3; b++)
                worstAlpha = Math.Max(worstAlpha, Math.Abs((plus.Dipole[b] - minus.Dipole[b]) / (2 * Step) - alpha[b, a]));
        }
        double alphaScale = alpha.Cast<double>().Max(Math.Abs);
        output.Report($"{system}: max |Z* − ΔP/ΔR| / max |Z*|", worstBorn / scale, 1e-6);
        output.Report($"{system}: max |Z* − ΔF/ΔE| / max |Z*|", worstForce / scale, 1e-6);
        output.Report($"{system}: max |α − ΔP/ΔE| / max |α|", worstAlpha / alphaScale, 1e-6);
        // Symmetric and positive: a stable density polarises along the field.
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) Assert.Equal(alpha[a, b], alpha[b, a], 1e-10);
        Assert.True(alpha[0, 0] > 0 && alpha[1, 1] > 0 && alpha[2, 2] > 0);
    }
}
