using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// A precomputed coefficient or index tensor kept on the CPU (floating values in float64) and handed out in the dtype
/// (floating values only) and device of the data it meets. Kept out of any dispose scope and out of the module's state
/// dict (it is recomputed from the irreps).
internal sealed class CachedConstant
{
    private readonly Tensor _master;
    private Tensor? _converted;

    public CachedConstant(Tensor value)
    {
        var v = value.is_floating_point() ? value.to_type(ScalarType.Float64) : value;
        _master = v.contiguous().detach().DetachFromDisposeScope();
    }

    public Tensor For(Tensor like)
    {
        var dtype = _master.is_floating_point() ? like.dtype : _master.dtype;
        if (dtype == _master.dtype && like.device_type == DeviceType.CPU) return _master;
        var c = _converted;
        if (c is null || c.dtype != dtype || c.device != like.device)
        {
            c = _master.to(dtype, like.device).DetachFromDisposeScope();
            _converted = c;
        }
        return c;
    }
}
