namespace MaceScf.Synthetic;

/// Random numbers for the geometry generators, all drawn from one seeded System.Random.
internal static class RandomGeometry
{
    public static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();

    /// A uniformly distributed rotation matrix (Shoemake's unit quaternion from three uniforms).
    public static double[,] Rotation(Random random)
    {
        double u1 = random.NextDouble(), u2 = 2 * Math.PI * random.NextDouble(), u3 = 2 * Math.PI * random.NextDouble();
        double a = Math.Sqrt(1 - u1), b = Math.Sqrt(u1);
        double x = a * Math.Sin(u2), y = a * Math.Cos(u2), z = b * Math.Sin(u3), w = b * Math.Cos(u3);
        return new double[,]
        {
            { 1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w) },
            { 2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w) },
            { 2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y) },
        };
    }

    /// A point uniformly distributed in the ball of the given radius around <paramref name="centre"/>.
    public static double[] InBall(Random random, double[] centre, double radius)
    {
        while (true)
        {
            var v = new[] { Uniform(random, -1, 1), Uniform(random, -1, 1), Uniform(random, -1, 1) };
            if (v.Sum(c => c * c) <= 1) return [centre[0] + radius * v[0], centre[1] + radius * v[1], centre[2] + radius * v[2]];
        }
    }
}
