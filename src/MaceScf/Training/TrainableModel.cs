using MaceScf.Calculators;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// A model class as `macescf train` handles it (docs/training.md, "Model classes"): the model's one door
/// (<see cref="IAtomisticModel.Predict"/>, the only way the trainer runs it), its parameters, its model file and the
/// calculator that evaluates it at inference.
internal abstract class TrainableModel : IDisposable
{
    public abstract ModelClass Class { get; }

    /// The model's door.
    public abstract IAtomisticModel Model { get; }

    /// The parameters and state dict.
    public abstract nn.Module Module { get; }

    /// What a training batch needs of the model.
    public abstract BatchLayout Layout { get; }

    /// Whether the model runs an SCF (its inference differs from a training stage's and has a convergence status).
    public virtual bool SelfConsistent => false;

    /// The response properties (Born charges, polarizability) its calculator gives.
    public virtual CalculatorProperties Responses => 0;

    public long ParameterCount => Module.parameters().Sum(p => p.numel());

    /// Writes the model file (it records the class).
    public abstract void Save(string path);

    /// The calculator of inference, with <paramref name="scf"/> for a self-consistent model.
    public abstract ModelCalculator Calculator(ScfOptions scf);

    /// After the backward pass of a training step: the batch predicted again when the model's derivative of that pass was
    /// unreliable (the fixed-point model's adjoint solve), otherwise null.
    public virtual Prediction? RedoAfterBackward(SystemInputs inputs, PredictionRequest request, Prediction prediction) => null;

    public void Dispose()
    {
        Module.Dispose();
        GC.SuppressFinalize(this);
    }

    /// The fixed-point SCF model.
    public static TrainableModel Of(FixedPointModel model) => new FixedPointClass(model);

    /// A plain MACE model of class MACE or ScaleShiftMACE.
    public static TrainableModel Of(MaceModel model, ModelClass modelClass) => new PlainMaceClass(model, modelClass);

    /// A local-source model (LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq).
    public static TrainableModel Of(LocalSourceModel model) => new LocalSourceClass(model);

    private sealed class FixedPointClass(FixedPointModel model) : TrainableModel
    {
        public override ModelClass Class => ModelClass.FixedPoint;
        public override IAtomisticModel Model => model;
        public override nn.Module Module => model;
        public override BatchLayout Layout => BatchLayout.Of(model);
        public override bool SelfConsistent => true;
        public override CalculatorProperties Responses => CalculatorProperties.BornCharges | CalculatorProperties.Polarizability;
        public override void Save(string path) => ModelFile.Save(model, path);
        public override ModelCalculator Calculator(ScfOptions scf) => new FixedPointCalculator(model, scf);

        public override Prediction? RedoAfterBackward(SystemInputs inputs, PredictionRequest request, Prediction prediction) =>
            model.UnrollIfAdjointPoor(inputs, request, prediction);
    }

    private sealed class PlainMaceClass(MaceModel model, ModelClass modelClass) : TrainableModel
    {
        public override ModelClass Class => modelClass;
        public override IAtomisticModel Model => model;
        public override nn.Module Module => model;
        public override BatchLayout Layout => new(model.Dtype, model.Hyperparameters.RMax, 0, 0.0);
        public override void Save(string path) => MaceModelFile.Save(model, path, modelClass: modelClass);
        public override ModelCalculator Calculator(ScfOptions scf) => new MaceCalculator(model);
    }

    private sealed class LocalSourceClass(LocalSourceModel model) : TrainableModel
    {
        public override ModelClass Class => model.Class;
        public override IAtomisticModel Model => model;
        public override nn.Module Module => model;
        public override BatchLayout Layout => new(model.Dtype, model.Hyperparameters.Mace.RMax, model.Hyperparameters.Electrostatics.DensityCoefficientCount, 0.0);
        public override void Save(string path) => LocalSourceModelFile.Save(model, path);
        public override CalculatorProperties Responses => (model.Hyperparameters.ComputePolarizability ? CalculatorProperties.Polarizability : 0)
            | (model.Class == ModelClass.MACEQEq ? 0 : CalculatorProperties.BornCharges);
        public override ModelCalculator Calculator(ScfOptions scf) => new LocalSourceCalculator(model);
    }
}
