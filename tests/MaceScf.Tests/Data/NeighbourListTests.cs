using MaceScf.Data;

namespace MaceScf.Tests.Data;

public class NeighbourListTests
{
    [Theory]
    [InlineData(1, 0.0, 3.0)]
    [InlineData(2, 0.3, 4.0)]
    [InlineData(3, 0.8, 5.0)]
    [InlineData(4, 2.5, 3.5)]
    [InlineData(5, 4.0, 4.5)]
    public void RandomTriclinicCellMatchesBruteForce(int seed, double skew, double cutoff)
    {
        var random = new Random(seed);
        var cell = RandomCell(random, 12, 20, skew);
        var positions = RandomPositions(random, cell, 60, -0.5, 1.5);
        var pbc = new[] { true, true, true };

        AssertMatchesBruteForce(positions, cell, pbc, cutoff);
    }

    [Theory]
    [InlineData(21, 0.5)]
    [InlineData(22, 1.5)]
    public void SmallSkewedCellMatchesBruteForce(int seed, double skew)
    {
        var random = new Random(seed);
        var cell = RandomCell(random, 2, 4, skew);
        var positions = RandomPositions(random, cell, 6, -1, 2);

        AssertMatchesBruteForce(positions, cell, [true, true, true], 5.0);
    }

    [Fact]
    public void RandomStructuresOfEveryKindMatchBruteForce()
    {
        // Random periodicity, cell size and skew, atoms inside and outside the cell; a non-periodic
        // lattice vector is sometimes zero, and a structure with no periodic direction sometimes has no cell.
        var random = new Random(100);
        for (int trial = 0; trial < 40; trial++)
        {
            bool[] pbc = [random.Next(2) == 1, random.Next(2) == 1, random.Next(2) == 1];
            var cell = RandomCell(random, 2, 12, 2 * random.NextDouble());
            var positions = RandomPositions(random, cell, 1 + random.Next(20), -1, 2);
            var given = (double[,])cell.Clone();
            for (int k = 0; k < 3; k++)
                if (!pbc[k] && random.Next(2) == 1)
                    for (int d = 0; d < 3; d++) given[k, d] = 0;
            bool noCell = !pbc.Any(p => p) && random.Next(2) == 1;

            AssertMatchesBruteForce(positions, noCell ? null : given, pbc, 1.5 + 4.5 * random.NextDouble());
        }
    }

    [Fact]
    public void ManyBinsInALargeCellMatchBruteForce()
    {
        var random = new Random(11);
        var cell = new double[,] { { 22, 0, 0 }, { 3, 21, 0 }, { -2, 4, 23 } };
        var positions = RandomPositions(random, cell, 500, 0, 1);

        AssertMatchesBruteForce(positions, cell, [true, true, true], 4.0);
    }

    [Fact]
    public void CellSmallerThanCutoffHasManyImagesAndSelfImages()
    {
        var cell = new double[,] { { 2, 0, 0 }, { 0, 2, 0 }, { 0, 0, 2 } };
        var positions = new double[,] { { 0.1, 0.2, 0.3 }, { 1.5, 1.1, 0.7 }, { 0.9, 1.9, 1.6 } };

        var list = AssertMatchesBruteForce(positions, cell, [true, true, true], 5.0);

        Assert.Contains(Enumerable.Range(0, list.EdgeCount), e => list.Senders[e] == 0 && list.Receivers[e] == 0);
        int pairs01 = Enumerable.Range(0, list.EdgeCount).Count(e => list.Senders[e] == 0 && list.Receivers[e] == 1);
        Assert.True(pairs01 > 20, $"only {pairs01} images of atom 1 around atom 0");
    }

    [Fact]
    public void OneAtomCubicCellHasItsEighteenNearestImages()
    {
        // Images at |S|·3 Å < 5 Å: |S|² ∈ {1, 2}, i.e. 6 faces and 12 edges of the cube.
        var cell = new double[,] { { 3, 0, 0 }, { 0, 3, 0 }, { 0, 0, 3 } };
        var positions = new double[,] { { 0.4, -0.2, 1.0 } };

        var list = AssertMatchesBruteForce(positions, cell, [true, true, true], 5.0);

        Assert.Equal(18, list.EdgeCount);
        Assert.All(list.Senders, s => Assert.Equal(0, s));
        Assert.All(list.Receivers, r => Assert.Equal(0, r));
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    public void MixedPeriodicityMatchesBruteForce(bool p0, bool p1, bool p2)
    {
        var random = new Random(7);
        var cell = RandomCell(random, 5, 8, 0.5);
        var positions = RandomPositions(random, cell, 40, -0.3, 1.3);
        bool[] pbc = [p0, p1, p2];

        var list = AssertMatchesBruteForce(positions, cell, pbc, 4.0);

        for (int k = 0; k < 3; k++)
            if (!pbc[k])
                for (int e = 0; e < list.EdgeCount; e++) Assert.Equal(0, list.UnitShifts[e, k]);
    }

    [Fact]
    public void SlabWithZeroThirdLatticeVectorMatchesBruteForce()
    {
        var random = new Random(8);
        var cell = new double[,] { { 4, 0, 0 }, { 1.5, 3.5, 0 }, { 0, 0, 0 } };
        var positions = RandomPositions(random, new double[,] { { 4, 0, 0 }, { 1.5, 3.5, 0 }, { 0, 0, 10 } }, 25, 0, 1);

        AssertMatchesBruteForce(positions, cell, [true, true, false], 4.5);
    }

    [Fact]
    public void IsolatedMoleculeWithoutCellMatchesBruteForce()
    {
        var random = new Random(9);
        var positions = RandomPositions(random, new double[,] { { 8, 0, 0 }, { 0, 9, 0 }, { 0, 0, 10 } }, 30, 0, 1);

        var list = AssertMatchesBruteForce(positions, null, [false, false, false], 3.0);

        Assert.All(Enumerable.Range(0, list.EdgeCount), e => Assert.NotEqual(list.Senders[e], list.Receivers[e]));
    }

    [Fact]
    public void LatticeWithoutPeriodicityGivesTheSameEdgesAsNoCell()
    {
        var random = new Random(10);
        var cell = new double[,] { { 3, 0, 0 }, { 0, 3, 0 }, { 0, 0, 3 } };
        var positions = RandomPositions(random, new double[,] { { 7, 0, 0 }, { 0, 7, 0 }, { 0, 0, 7 } }, 30, 0, 1);

        var withLattice = AssertMatchesBruteForce(positions, cell, [false, false, false], 3.0);
        var withoutCell = NeighbourList.Build(positions, null, [false, false, false], 3.0);

        Assert.Equal(EdgeSet(withoutCell), EdgeSet(withLattice));
    }

    [Fact]
    public void PlanarMoleculeWithoutCellMatchesBruteForce()
    {
        var positions = new double[,] { { 0, 0, 0 }, { 1.2, 0, 0 }, { 2.4, 0.5, 0 }, { 9, 0, 0 }, { 9.8, 0.3, 0 } };

        var list = AssertMatchesBruteForce(positions, null, [false, false, false], 2.0);

        Assert.Equal(6, list.EdgeCount);
    }

    [Fact]
    public void SparseAtomsInAHugeCellMatchBruteForce()
    {
        var cell = new double[,] { { 2000, 0, 0 }, { 0, 1500, 0 }, { 0, 0, 1800 } };
        var positions = new double[,] { { 1, 1, 1 }, { 1999, 1, 1 }, { 1000, 700, 900 }, { 1002, 701, 900 } };

        var list = AssertMatchesBruteForce(positions, cell, [true, true, true], 5.0);

        Assert.Equal(4, list.EdgeCount);
    }

    [Fact]
    public void TranslatingAnAtomByALatticeVectorOnlyChangesItsShifts()
    {
        var random = new Random(12);
        var cell = RandomCell(random, 6, 9, 1.0);
        var positions = RandomPositions(random, cell, 12, 0, 1);
        var moved = (double[,])positions.Clone();
        // Atom 3 moved by −2·a0 + a2; edges with atom 3 as receiver need S + (2, 0, −1), as sender S − (2, 0, −1).
        for (int d = 0; d < 3; d++) moved[3, d] += -2 * cell[0, d] + cell[2, d];
        int[] delta = [2, 0, -1];

        var original = NeighbourList.Build(positions, cell, [true, true, true], 5.0);
        var translated = NeighbourList.Build(moved, cell, [true, true, true], 5.0);

        var expected = new HashSet<(int, int, int, int, int)>();
        for (int e = 0; e < original.EdgeCount; e++)
        {
            int sign = (original.Receivers[e] == 3 ? 1 : 0) - (original.Senders[e] == 3 ? 1 : 0);
            expected.Add((original.Senders[e], original.Receivers[e],
                original.UnitShifts[e, 0] + sign * delta[0],
                original.UnitShifts[e, 1] + sign * delta[1],
                original.UnitShifts[e, 2] + sign * delta[2]));
        }
        Assert.Equal(expected, EdgeSet(translated));
    }

    [Fact]
    public void EveryEdgeHasItsReverseAndAVectorShorterThanTheCutoff()
    {
        var random = new Random(13);
        var cell = RandomCell(random, 4, 7, 1.5);
        var positions = RandomPositions(random, cell, 15, -1, 2);
        const double cutoff = 5.5;

        var list = NeighbourList.Build(positions, cell, [true, true, false], cutoff);

        var edges = EdgeSet(list);
        Assert.True(list.EdgeCount > 100);
        for (int e = 0; e < list.EdgeCount; e++)
        {
            Assert.Contains((list.Receivers[e], list.Senders[e], -list.UnitShifts[e, 0], -list.UnitShifts[e, 1], -list.UnitShifts[e, 2]), edges);
            double distance = EdgeLength(positions, cell, list.Senders[e], list.Receivers[e],
                list.UnitShifts[e, 0], list.UnitShifts[e, 1], list.UnitShifts[e, 2]);
            Assert.True(distance < cutoff);
            Assert.Equal(distance, list.Distances[e], 12);
        }
    }

    [Fact]
    public void EmptyStructureHasNoEdges()
    {
        var list = NeighbourList.Build(new double[0, 3], null, [false, false, false], 5.0);

        Assert.Equal(0, list.EdgeCount);
    }

    [Fact]
    public void BuildsFromAConfiguration()
    {
        var configuration = new Configuration([1, 8, 1],
            new double[,] { { 0.76, 0.59, 0 }, { 0, 0, 0 }, { -0.76, 0.59, 0 } }, null, [false, false, false]);

        var list = NeighbourList.Build(configuration, 1.2);

        Assert.Equal(4, list.EdgeCount);
        Assert.Equal(3, list.AtomCount);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsANonPositiveOrNonFiniteCutoff(double cutoff)
    {
        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(new double[,] { { 0, 0, 0 } }, null, [false, false, false], cutoff));
        Assert.Contains("cutoff", e.Message);
    }

    [Fact]
    public void RejectsNonFinitePositions()
    {
        var positions = new double[,] { { 0, 0, 0 }, { 1, double.NaN, 0 } };

        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(positions, null, [false, false, false], 3.0));
        Assert.Contains("atom 1", e.Message);
    }

    [Fact]
    public void RejectsAPeriodicDirectionWithAZeroLatticeVector()
    {
        var cell = new double[,] { { 5, 0, 0 }, { 0, 5, 0 }, { 0, 0, 0 } };

        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(new double[,] { { 0, 0, 0 } }, cell, [true, true, true], 3.0));
        Assert.Contains("lattice vector 2 is zero", e.Message);
    }

    [Fact]
    public void RejectsPeriodicityWithoutACell()
    {
        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(new double[,] { { 0, 0, 0 } }, null, [false, true, false], 3.0));
        Assert.Contains("no cell", e.Message);
    }

    [Fact]
    public void RejectsParallelPeriodicLatticeVectors()
    {
        var cell = new double[,] { { 5, 0, 0 }, { -10, 0, 0 }, { 0, 0, 5 } };

        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(new double[,] { { 0, 0, 0 } }, cell, [true, true, false], 3.0));
        Assert.Contains("degenerate", e.Message);
    }

    [Fact]
    public void RejectsCoplanarPeriodicLatticeVectors()
    {
        var cell = new double[,] { { 5, 0, 0 }, { 0, 5, 0 }, { 5, 5, 0 } };

        var e = Assert.Throws<ArgumentException>(() => NeighbourList.Build(new double[,] { { 0, 0, 0 } }, cell, [true, true, true], 3.0));
        Assert.Contains("degenerate", e.Message);
    }

    /// Builds the list, checks it against brute-force enumeration as a set with no duplicates, and returns it.
    private static NeighbourList AssertMatchesBruteForce(double[,] positions, double[,]? cell, bool[] pbc, double cutoff)
    {
        var list = NeighbourList.Build(positions, cell, pbc, cutoff);
        var expected = BruteForce(positions, cell, pbc, cutoff);
        var actual = EdgeSet(list);

        Assert.Equal(list.EdgeCount, actual.Count);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Empty(expected.Except(actual));
        return list;
    }

    private static HashSet<(int, int, int, int, int)> EdgeSet(NeighbourList list)
    {
        var set = new HashSet<(int, int, int, int, int)>();
        for (int e = 0; e < list.EdgeCount; e++)
            set.Add((list.Senders[e], list.Receivers[e], list.UnitShifts[e, 0], list.UnitShifts[e, 1], list.UnitShifts[e, 2]));
        return set;
    }

    /// Every (sender, receiver, S) over an image range large enough for the pair: with n_k the unit
    /// vector along the part of a_k orthogonal to the other periodic lattice vectors and h_k = a_k·n_k,
    /// D·n_k = (x_r − x_s)·n_k + S_k·h_k, and |D| &lt; cutoff bounds S_k (one image of slack each side).
    private static HashSet<(int, int, int, int, int)> BruteForce(double[,] positions, double[,]? cell, bool[] pbc, double cutoff)
    {
        int n = positions.GetLength(0);
        var normals = new double[3][];
        var heights = new double[3];
        for (int k = 0; k < 3; k++)
        {
            if (!pbc[k]) continue;
            normals[k] = OrthogonalPart(cell!, pbc, k);
            heights[k] = Norm(normals[k]);
            for (int d = 0; d < 3; d++) normals[k][d] /= heights[k];
        }

        var set = new HashSet<(int, int, int, int, int)>();
        var lo = new int[3];
        var hi = new int[3];
        for (int s = 0; s < n; s++)
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < 3; k++)
            {
                if (!pbc[k]) continue;
                double along = 0;
                for (int d = 0; d < 3; d++) along += (positions[r, d] - positions[s, d]) * normals[k][d];
                lo[k] = (int)Math.Floor((-cutoff - along) / heights[k]) - 1;
                hi[k] = (int)Math.Ceiling((cutoff - along) / heights[k]) + 1;
            }
            for (int s0 = lo[0]; s0 <= hi[0]; s0++)
            for (int s1 = lo[1]; s1 <= hi[1]; s1++)
            for (int s2 = lo[2]; s2 <= hi[2]; s2++)
            {
                if (s == r && s0 == 0 && s1 == 0 && s2 == 0) continue;
                if (EdgeLength(positions, cell, s, r, s0, s1, s2) < cutoff) set.Add((s, r, s0, s1, s2));
            }
        }
        return set;
    }

    /// a_k minus its projection onto the span of the other periodic lattice vectors (Gram–Schmidt).
    private static double[] OrthogonalPart(double[,] cell, bool[] pbc, int k)
    {
        var basis = new List<double[]>();
        foreach (int l in Enumerable.Range(0, 3).Where(l => l != k && pbc[l]))
        {
            var u = Row(cell, l);
            foreach (var b in basis) Subtract(u, b, Dot(u, b));
            double norm = Norm(u);
            basis.Add([u[0] / norm, u[1] / norm, u[2] / norm]);
        }
        var a = Row(cell, k);
        foreach (var b in basis) Subtract(a, b, Dot(a, b));
        return a;
    }

    private static void Subtract(double[] a, double[] b, double factor)
    {
        for (int d = 0; d < 3; d++) a[d] -= factor * b[d];
    }

    private static double EdgeLength(double[,] positions, double[,]? cell, int sender, int receiver, int s0, int s1, int s2)
    {
        double sum = 0;
        for (int d = 0; d < 3; d++)
        {
            double shift = cell is null ? 0 : s0 * cell[0, d] + s1 * cell[1, d] + s2 * cell[2, d];
            sum += Square(positions[receiver, d] - positions[sender, d] + shift);
        }
        return Math.Sqrt(sum);
    }

    /// A cell with rows of random length in [min, max] and off-diagonal parts up to skew times the diagonal.
    internal static double[,] RandomCell(Random random, double min, double max, double skew)
    {
        var cell = new double[3, 3];
        for (int k = 0; k < 3; k++)
        {
            double length = min + (max - min) * random.NextDouble();
            for (int d = 0; d < 3; d++)
                cell[k, d] = d == k ? length : skew * length * (2 * random.NextDouble() - 1);
        }
        return cell;
    }

    /// Positions at random fractional coordinates in [lo, hi) of the cell.
    internal static double[,] RandomPositions(Random random, double[,] cell, int count, double lo, double hi)
    {
        var positions = new double[count, 3];
        for (int i = 0; i < count; i++)
        {
            double f0 = lo + (hi - lo) * random.NextDouble(), f1 = lo + (hi - lo) * random.NextDouble(), f2 = lo + (hi - lo) * random.NextDouble();
            for (int d = 0; d < 3; d++) positions[i, d] = f0 * cell[0, d] + f1 * cell[1, d] + f2 * cell[2, d];
        }
        return positions;
    }

    private static double[] Row(double[,] m, int k) => [m[k, 0], m[k, 1], m[k, 2]];

    private static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double Square(double x) => x * x;
}
