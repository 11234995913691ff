namespace MaceScf.Data;

/// A reference value of one configuration and its loss weight. An absent label has weight 0
/// and no value: reading <see cref="Value"/> then throws, so it can never act as a zero target.
internal readonly struct Label<T>
{
    private readonly T _value;

    public Label(T value, double weight)
    {
        _value = value;
        Weight = weight;
        IsPresent = true;
    }

    public static Label<T> Absent => default;

    public bool IsPresent { get; }

    /// The property weight (config_{name}_weight, default 1); 0 when absent.
    public double Weight { get; }

    public T Value => IsPresent ? _value : throw new InvalidOperationException("the label is absent from this configuration");

    public override string ToString() => IsPresent ? $"{_value} (weight {Weight})" : "absent";
}
