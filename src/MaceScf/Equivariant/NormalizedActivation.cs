using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// An elementwise activation scaled to unit second moment under z ~ N(0,1) (e3nn's normalize2mom):
/// c = E[f(z)²]^{−1/2}, estimated as e3nn does from 10⁶ float64 samples of a CPU generator seeded 0; when |c − 1| &lt; 1e-4
/// the activation is used unscaled.
internal sealed class NormalizedActivation
{
    private readonly Func<Tensor, Tensor> _f;

    public NormalizedActivation(Func<Tensor, Tensor> f)
    {
        _f = f;
        Constant = SecondMomentConstant(f);
    }

    public static NormalizedActivation Silu() => new(x => nn.functional.silu(x));

    public static NormalizedActivation Tanh() => new(x => x.tanh());

    public static NormalizedActivation Sigmoid() => new(x => x.sigmoid());

    /// The factor c (1 when the activation is already normalised within 1e-4).
    public double Constant { get; }

    /// Whether f(z) is symmetric, antisymmetric or neither (+1, −1, 0), probed on [0, 10].
    public int Parity
    {
        get
        {
            using var scope = NewDisposeScope();
            var x = torch.linspace(0, 10, 256, dtype: ScalarType.Float64);
            var a = _f(x);
            var b = _f(-x);
            if ((a - b).abs().max().item<double>() < 1e-5) return 1;
            if (a.Plus(b).abs().max().item<double>() < 1e-5) return -1;
            return 0;
        }
    }

    public Tensor Apply(Tensor x) => Constant == 1 ? _f(x) : _f(x).Times(Constant);

    /// f(x) without the factor <see cref="Constant"/> (for a caller that applies it elsewhere).
    public Tensor ApplyUnscaled(Tensor x) => _f(x);

    /// E_{z~N(0,1)}[f(z)²]^{−1/2} from torch.randn(10⁶, float64) with a CPU generator seeded 0.
    public static double SecondMomentConstant(Func<Tensor, Tensor> f)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var generator = new Generator(0, torch.CPU);
        var z = torch.randn(new long[] { 1_000_000 }, dtype: ScalarType.Float64, generator: generator);
        using Scalar two = 2.ToScalar(), minusHalf = (-0.5).ToScalar();
        double c = f(z).pow(two).mean().pow(minusHalf).item<double>();
        return Math.Abs(c - 1) < 1e-4 ? 1 : c;
    }
}
