namespace MaceScf.Data;

/// The per-atom formal charges that a LocalSplitCharges model with formal_charges_from_data reads as an input (the arrays key
/// mapped to charges): every frame it runs on must carry them.
internal static class FormalChargeData
{
    /// Throws <see cref="InvalidDataException"/> naming the file, frame and key of the first frame without formal charges.
    public static void Require(IEnumerable<LabelledConfiguration> frames, KeyMapping mapping)
    {
        var key = mapping.ArraysKeys.GetValueOrDefault(PropertyKeys.Charges);
        if (key is null or PropertyKeys.NoKey)
            throw new InvalidDataException("the model reads the formal charge of every atom (formal_charges_from_data) from the arrays key "
                + "mapped to charges, and none is mapped: map charges to the file's key");
        foreach (var frame in frames)
            if (!frame.FormalCharges.IsPresent)
                throw new InvalidDataException($"{frame.Configuration.DescribeOrigin()}: no arrays key '{key}' (mapped to charges): the model "
                    + "reads the formal charge of every atom from it (formal_charges_from_data); add it to every frame");
    }
}
