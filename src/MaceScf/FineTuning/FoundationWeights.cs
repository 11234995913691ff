using MaceScf.Data;
using MaceScf.Equivariant;
using MaceScf.Mace;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.FineTuning;

/// What <see cref="FoundationWeights.LoadInto"/> did: the parameters copied from the foundation, and the weight blocks of the
/// target that the foundation has no counterpart for (kept at their initialisation).
/// <param name="Copied">target parameter names filled from the foundation (entirely or in part)</param>
/// <param name="KeptInitialised">"parameter: block" descriptions of the target weight blocks left as initialised</param>
internal sealed record FoundationTransfer(IReadOnlyList<string> Copied, IReadOnlyList<string> KeptInitialised);

/// Loads a foundation MACE backbone into a backbone of the same architecture for the elements of the training data, as
/// MACE's fine-tuning does (docs/mace-import.md, "Fine-tuning"): the element-dependent weights (one-hot embedding, the
/// element input of every skip_tp, the rows of the symmetric contractions) are restricted to the target's elements and
/// rescaled so that every kept element's features are unchanged (e3nn divides by √fan-in, which counts the elements); all
/// other weights are copied. Weight blocks are matched by their irreps, so a foundation whose last layer keeps only scalars
/// (MACE) loads into a backbone whose last layer keeps the hidden irreps (the fixed-point model): the scalar blocks are
/// copied and the blocks of the other irreps keep their initialisation. E0s, scale and shift are not weights: they come from
/// the target's hyper-parameters.
internal static class FoundationWeights
{
    /// Copies the foundation's weights into <paramref name="target"/>; refuses another architecture or elements the
    /// foundation lacks, naming them.
    public static FoundationTransfer LoadInto(MaceModel foundation, MaceModel target, string foundationName = "the foundation model")
    {
        var f = foundation.Hyperparameters;
        var t = target.Hyperparameters;
        var missing = t.AtomicNumbers.Where(z => !f.AtomicNumbers.Contains(z)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"{foundationName} has no weights for {Elements(missing)} (it has {Elements(f.AtomicNumbers)}); "
                + "fine-tune on data of its elements only, or choose a foundation model that has them.");
        var differences = ArchitectureDifferences(f, t);
        if (differences.Count > 0)
            throw new ArgumentException($"the backbone differs from {foundationName}: {string.Join("; ", differences)}.");
        var foundationElements = f.AtomicNumbers.ToList();
        using var rows = tensor(t.AtomicNumbers.Select(z => (long)foundationElements.IndexOf(z)).ToArray());
        var sources = foundation.named_modules().ToDictionary(m => m.name, m => m.module);
        var copied = new List<string>();
        var kept = new List<string>();
        var handled = new HashSet<string>();
        var untouched = new HashSet<string>();
        using (no_grad())
        using (NewDisposeScope())
        {
            // TorchSharp also lists a module under its field name: keep the names its parameters are known by.
            var parameterNames = target.named_parameters().Select(p => p.name).ToHashSet();
            foreach (var (name, module) in target.named_modules())
            {
                if (module is not (EquivariantLinear or FullyConnectedTensorProduct or FullyConnectedNet or SymmetricContraction)) continue;
                if (!parameterNames.Any(p => p.StartsWith(name + ".", StringComparison.Ordinal))) continue;
                var source = sources.GetValueOrDefault(name)
                    ?? throw new ArgumentException($"{foundationName} has no module '{name}'.");
                var names = module.named_parameters().Select(p => $"{name}.{p.name}").ToList();
                switch (module)
                {
                    case EquivariantLinear linear:
                        kept.AddRange(Linear(linear, (EquivariantLinear)source, name == "node_embedding" ? rows : null).Select(b => $"{name}.weight: {b}"));
                        break;
                    case FullyConnectedTensorProduct product:
                        kept.AddRange(TensorProduct(product, (FullyConnectedTensorProduct)source, rows).Select(b => $"{name}.weight: {b}"));
                        break;
                    case FullyConnectedNet net:
                        Same(net, source, name);
                        break;
                    case SymmetricContraction contraction:
                        kept.AddRange(Contractions(contraction, (SymmetricContraction)source, rows, name, untouched));
                        break;
                }
                handled.UnionWith(names);
                copied.AddRange(names.Where(n => !untouched.Contains(n)));
            }
        }
        var unhandled = target.named_parameters().Select(p => p.name).Where(n => !handled.Contains(n)).ToList();
        if (unhandled.Count > 0) throw new InvalidOperationException($"no foundation transfer rule for {string.Join(", ", unhandled)}");
        return new FoundationTransfer(copied, kept);
    }

    /// The hyper-parameters that must agree for the weights to mean the same (all but the elements, the E0s, the scale and
    /// shift, the last-layer irreps and the edge-vector order), as "name: target vs foundation" texts.
    public static IReadOnlyList<string> ArchitectureDifferences(MaceHyperparameters foundation, MaceHyperparameters target)
    {
        var list = new List<string>();
        void Check(string name, object a, object b)
        {
            if (!Equals(a, b)) list.Add($"{name} {b} (the foundation's: {a})");
        }
        Check("r_max", foundation.RMax, target.RMax);
        Check("num_radial_basis", foundation.NumBessel, target.NumBessel);
        Check("num_cutoff_basis", foundation.NumPolynomialCutoff, target.NumPolynomialCutoff);
        Check("max_ell", foundation.MaxEll, target.MaxEll);
        Check("hidden_irreps", foundation.ResolveHiddenIrreps().ToString(), target.ResolveHiddenIrreps().ToString());
        Check("correlation", foundation.Correlation, target.Correlation);
        Check("num_interactions", foundation.NumInteractions, target.NumInteractions);
        Check("MLP_irreps", Irreps.Parse(foundation.MlpIrreps).Simplify().ToString(), Irreps.Parse(target.MlpIrreps).Simplify().ToString());
        Check("radial_MLP", string.Join(",", foundation.RadialMlp), string.Join(",", target.RadialMlp));
        Check("interaction", foundation.Interaction, target.Interaction);
        Check("interaction_first", foundation.InteractionFirst, target.InteractionFirst);
        Check("gate", foundation.Gate, target.Gate);
        Check("avg_num_neighbors", foundation.AvgNumNeighbors, target.AvgNumNeighbors);
        return list;
    }

    /// Element symbols such as "H, O".
    public static string Elements(IEnumerable<int> atomicNumbers) => string.Join(", ", atomicNumbers.Select(PeriodicTable.Symbol));

    /// An irrep and how many segments of that irrep precede it: the key that matches segments of two irreps lists.
    private static (Irrep Ir, int Occurrence) Key(Irreps irreps, int index) =>
        (irreps[index].Ir, Enumerable.Range(0, index).Count(k => irreps[k].Ir == irreps[index].Ir));

    /// o3.Linear: per (input, output) segment pair of one irrep a block W[mul_in, mul_out]; out_j has α_j = 1/√(Σ mul_in into j).
    private static List<(int In, int Out, long Offset)> LinearPaths(Irreps irrepsIn, Irreps irrepsOut)
    {
        var paths = new List<(int, int, long)>();
        long offset = 0;
        for (int i = 0; i < irrepsIn.Count; i++)
        for (int j = 0; j < irrepsOut.Count; j++)
            if (irrepsIn[i].Ir == irrepsOut[j].Ir)
            {
                paths.Add((i, j, offset));
                offset += (long)irrepsIn[i].Mul * irrepsOut[j].Mul;
            }
        return paths;
    }

    private static double LinearAlpha(Irreps irrepsIn, Irreps irrepsOut, int j) =>
        1 / Math.Sqrt(Enumerable.Range(0, irrepsIn.Count).Where(i => irrepsIn[i].Ir == irrepsOut[j].Ir).Sum(i => irrepsIn[i].Mul));

    /// Copies the matching blocks (the input rows of the target's elements when <paramref name="elementRows"/> is given);
    /// returns the target blocks without a counterpart.
    private static List<string> Linear(EquivariantLinear target, EquivariantLinear source, Tensor? elementRows)
    {
        var sourcePaths = LinearPaths(source.IrrepsIn, source.IrrepsOut);
        var kept = new List<string>();
        foreach (var (i, j, offset) in LinearPaths(target.IrrepsIn, target.IrrepsOut))
        {
            var (inKey, outKey) = (Key(target.IrrepsIn, i), Key(target.IrrepsOut, j));
            var match = sourcePaths.Where(p => Key(source.IrrepsIn, p.In) == inKey && Key(source.IrrepsOut, p.Out) == outKey).ToList();
            long mulIn = target.IrrepsIn[i].Mul, mulOut = target.IrrepsOut[j].Mul;
            if (match.Count == 0)
            {
                kept.Add($"{target.IrrepsIn[i]} → {target.IrrepsOut[j]}");
                continue;
            }
            var (si, sj, sOffset) = match[0];
            long sourceIn = source.IrrepsIn[si].Mul, sourceOut = source.IrrepsOut[sj].Mul;
            if (sourceOut != mulOut || (elementRows is null && sourceIn != mulIn))
                throw new ArgumentException($"weight block {source.IrrepsIn[si]} → {source.IrrepsOut[sj]} of the foundation does not fit {target.IrrepsIn[i]} → {target.IrrepsOut[j]}.");
            var block = source.Weight.narrow(0, sOffset, sourceIn * sourceOut).view(sourceIn, sourceOut);
            if (elementRows is not null) block = block.index_select(0, elementRows);
            double scale = LinearAlpha(source.IrrepsIn, source.IrrepsOut, sj) / LinearAlpha(target.IrrepsIn, target.IrrepsOut, j);
            target.Weight.narrow(0, offset, mulIn * mulOut).copy_(block.Times(scale).flatten());
        }
        return kept;
    }

    /// skip_tp (x ⊗ one-hot elements → out, mode uvw): blocks W[mul1, Z, mul_out] matched by irreps; the element index is
    /// restricted to the target's elements and α (√(dim/fan-in), fan-in counting the elements) compensated.
    private static List<string> TensorProduct(FullyConnectedTensorProduct target, FullyConnectedTensorProduct source, Tensor elementRows)
    {
        if (target.Irreps2.Count != 1 || target.Irreps2[0].Ir != new Irrep(0, 1) || source.Irreps2.Count != 1)
            throw new ArgumentException($"a tensor product with {target.Irreps2} as second input is not an element-dependent skip_tp.");
        var sourceBlocks = Blocks(source);
        var kept = new List<string>();
        foreach (var (path, offset) in Blocks(target))
        {
            var key = (Key(target.Irreps1, path.Input1), Key(target.IrrepsOut, path.Output));
            var match = sourceBlocks.Where(b => (Key(source.Irreps1, b.Path.Input1), Key(source.IrrepsOut, b.Path.Output)) == key).ToList();
            long mul1 = target.Irreps1[path.Input1].Mul, mulOut = target.IrrepsOut[path.Output].Mul, z = target.Irreps2[0].Mul;
            if (match.Count == 0)
            {
                kept.Add($"{target.Irreps1[path.Input1]} ⊗ {target.Irreps2[0]} → {target.IrrepsOut[path.Output]}");
                continue;
            }
            var (sourcePath, sourceOffset) = match[0];
            long sourceMul1 = source.Irreps1[sourcePath.Input1].Mul, sourceOut = source.IrrepsOut[sourcePath.Output].Mul, sourceZ = source.Irreps2[0].Mul;
            if (sourceMul1 != mul1 || sourceOut != mulOut)
                throw new ArgumentException($"skip_tp block {source.Irreps1[sourcePath.Input1]} → {source.IrrepsOut[sourcePath.Output]} of the foundation does not fit {target.Irreps1[path.Input1]} → {target.IrrepsOut[path.Output]}.");
            var block = source.Weight.narrow(0, sourceOffset, sourceMul1 * sourceZ * sourceOut).view(sourceMul1, sourceZ, sourceOut)
                .index_select(1, elementRows);
            target.Weight.narrow(0, offset, mul1 * z * mulOut).copy_(block.Times(sourcePath.Alpha / path.Alpha).flatten());
        }
        return kept;
    }

    private static List<(TensorProductPath Path, long Offset)> Blocks(FullyConnectedTensorProduct product)
    {
        var blocks = new List<(TensorProductPath, long)>();
        long offset = 0;
        foreach (var p in product.Paths)
        {
            blocks.Add((p, offset));
            offset += (long)product.Irreps1[p.Input1].Mul * product.Irreps2[p.Input2].Mul * product.IrrepsOut[p.Output].Mul;
        }
        return blocks;
    }

    /// Symmetric contractions: one per output irrep, matched by irrep; the weights [Z, K, C] restricted to the target's rows.
    private static List<string> Contractions(SymmetricContraction target, SymmetricContraction source, Tensor elementRows, string name,
        HashSet<string> untouched)
    {
        var kept = new List<string>();
        var targets = target.named_children().Single(c => c.name == "contractions").module.named_children().ToList();
        var sources = source.named_children().Single(c => c.name == "contractions").module.named_children().ToList();
        for (int j = 0; j < target.IrrepsOut.Count; j++)
        {
            var key = Key(target.IrrepsOut, j);
            int s = Enumerable.Range(0, source.IrrepsOut.Count).FirstOrDefault(k => Key(source.IrrepsOut, k) == key, -1);
            var parameters = targets[j].module.named_parameters().ToList();
            if (s < 0)
            {
                kept.Add($"{name}.contractions.{j}: output {target.IrrepsOut[j]}");
                untouched.UnionWith(parameters.Select(p => $"{name}.contractions.{j}.{p.name}"));
                continue;
            }
            var from = sources[s].module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (pName, p) in parameters)
            {
                var rows = from[pName].index_select(0, elementRows);
                if (!rows.shape.SequenceEqual(p.shape))
                    throw new ArgumentException($"'{name}.contractions.{s}.{pName}' of the foundation does not fit [{string.Join(", ", p.shape)}].");
                p.copy_(rows);
            }
        }
        return kept;
    }

    /// A module without element-dependent weights (the radial MLP): every parameter copied as it is.
    private static void Same(nn.Module target, nn.Module source, string name)
    {
        var from = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (pName, p) in target.named_parameters())
        {
            if (!from.TryGetValue(pName, out var value) || !value.shape.SequenceEqual(p.shape))
                throw new ArgumentException($"'{name}.{pName}' of the foundation does not fit [{string.Join(", ", p.shape)}].");
            p.copy_(value);
        }
    }
}
