using MaceScf.Calculators;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;

namespace MaceScf.Distributed;

/// One structure's <see cref="CalculatorResults"/> as a flat float64 record, so the ranks can gather results with the one
/// collective they have (a sum of zero-padded buffers, <see cref="ShardedPrediction"/>). Every output a table or report reads
/// goes through unchanged, bit for bit (energy and its terms, forces, stress, virial, per-atom outputs, density, dipole,
/// charge, Fermi level, response properties, SCF status, updates and history, how the forces were derived and why); the
/// k-space setup and the GMRES report of an implicit derivative stay on the rank that computed them.
internal static class ResultsCodec
{
    public static double[] Encode(CalculatorResults r)
    {
        var w = new List<double> { r.Energy, r.Terms.Count };
        foreach (var (name, value) in r.Terms)
        {
            Text(w, name);
            w.Add(value);
        }
        Vectors(w, r.NodeEnergies);
        Matrices(w, r.Forces, r.Stress, r.Virial);
        Vectors(w, r.Electronegativity, r.Hardness);
        Matrices(w, r.Density);
        Vectors(w, r.Dipole, r.TotalCharge is { } q ? [q] : null, r.FermiLevel is { } mu ? [mu] : null);
        w.AddRange([r.Status is { } s ? (int)s : -1, r.Steps]);
        Vectors(w, r.History);
        w.Add(r.Derivation is { } d ? (int)d.Method : -1);
        if (r.Derivation is not null) Text(w, r.Derivation.FallbackReason);
        Vectors(w, r.Potential);
        Matrices(w, r.FieldFeatures, r.BornCharges, r.Polarizability, r.PolarizabilityAtFermiLevel);
        Text(w, r.ResponseFailure);
        Vectors(w, r.Electrostatics is { } e ? [(int)e.Method, e.KVectorCount] : null);
        return [.. w];
    }

    public static CalculatorResults Decode(ReadOnlySpan<double> record)
    {
        var r = new Reader(record.ToArray());
        double energy = r.Next();
        int terms = (int)r.Next();
        var named = new Dictionary<string, double>(terms);
        for (int i = 0; i < terms; i++) named[r.Text()!] = r.Next();
        // In the order Encode writes them: an object initialiser runs its assignments in order.
        var results = new CalculatorResults(energy, named)
        {
            NodeEnergies = r.Vector(), Forces = r.Matrix(), Stress = r.Matrix(), Virial = r.Matrix(), Electronegativity = r.Vector(),
            Hardness = r.Vector(), Density = r.Matrix(), Dipole = r.Vector(), TotalCharge = r.Vector()?[0], FermiLevel = r.Vector()?[0],
            Status = r.Next() is var s and >= 0 ? (ScfStatus)(int)s : null, Steps = (int)r.Next(), History = r.Vector()!,
            Derivation = r.Next() is var m and >= 0 ? new ForcesDerivation((ForcesMethod)(int)m, r.Text()) : null,
            Potential = r.Vector(), FieldFeatures = r.Matrix(), BornCharges = r.Matrix(), Polarizability = r.Matrix(),
            PolarizabilityAtFermiLevel = r.Matrix(), ResponseFailure = r.Text(),
            Electrostatics = r.Vector() is { } e ? ((BoundaryMethod)(int)e[0], (int)e[1]) : null,
        };
        if (!r.AtEnd) throw new InvalidDataException($"a gathered results record has {record.Length - r.Position} value(s) left over");
        return results;
    }

    private static void Vectors(List<double> w, params double[]?[] vectors)
    {
        foreach (var values in vectors)
        {
            w.Add(values?.Length ?? -1);
            if (values is not null) w.AddRange(values);
        }
    }

    private static void Matrices(List<double> w, params double[,]?[] matrices)
    {
        foreach (var values in matrices)
        {
            w.Add(values?.GetLength(0) ?? -1);
            if (values is null) continue;
            w.Add(values.GetLength(1));
            foreach (double v in values) w.Add(v);
        }
    }

    private static void Text(List<double> w, string? text) => Vectors(w, text?.Select(c => (double)c).ToArray());

    private sealed class Reader(double[] values)
    {
        public int Position { get; private set; }

        public bool AtEnd => Position == values.Length;

        public double Next() => values[Position++];

        public double[]? Vector()
        {
            int n = (int)Next();
            if (n < 0) return null;
            var v = values[Position..(Position + n)];
            Position += n;
            return v;
        }

        public double[,]? Matrix()
        {
            int rows = (int)Next();
            if (rows < 0) return null;
            int columns = (int)Next();
            var m = new double[rows, columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++) m[i, j] = Next();
            return m;
        }

        public string? Text() => Vector() is { } chars ? new string(chars.Select(c => (char)c).ToArray()) : null;
    }
}
