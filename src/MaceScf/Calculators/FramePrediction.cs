using MaceScf.Data;

namespace MaceScf.Calculators;

/// A frame of a file and what a calculator computed for it (the rows of `macescf eval` and of the final tables of training).
internal sealed record FramePrediction(LabelledConfiguration Frame, CalculatorResults Results)
{
    /// The calculator's results for every frame, in batches, with the frames' conditions (<see cref="Structure.Of"/>).
    public static IEnumerable<FramePrediction> Evaluate(ModelCalculator calculator, IReadOnlyList<LabelledConfiguration> frames,
        CalculatorProperties properties, int batchSize) =>
        Evaluate(calculator, frames, frames.Select(Structure.Of).ToList(), properties, batchSize);

    /// The calculator's results for every frame, evaluated as the given structures (the frames with their conditions).
    public static IEnumerable<FramePrediction> Evaluate(ModelCalculator calculator, IReadOnlyList<LabelledConfiguration> frames,
        IReadOnlyList<Structure> structures, CalculatorProperties properties, int batchSize) =>
        frames.Zip(calculator.CalculateAll(structures, properties, batchSize), (f, r) => new FramePrediction(f, r));
}
