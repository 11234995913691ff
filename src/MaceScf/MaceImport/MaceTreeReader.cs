using System.Collections;
using System.Text.RegularExpressions;
using MaceScf.Equivariant;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.MaceImport;

/// Recovers the hyper-parameters of a pickled Python MACE module tree and copies its weights into our model
/// (docs/mace-import.md has the mapping table).
internal static partial class MaceTreeReader
{
    private static readonly HashSet<string> KnownChildren =
        ["node_embedding", "radial_embedding", "spherical_harmonics", "atomic_energies_fn", "interactions", "products", "readouts", "scale_shift"];

    /// Tolerance for constants recomputed by us (U matrices, Bessel frequencies, normalisation factors): a few ulps of O(1) numbers.
    private const double ConstantTolerance = 1e-12;

    public static MaceHyperparameters Hyperparameters(TorchModuleNode root)
    {
        string file = root.File;
        MaceImportException Refuse(string what) => new($"'{file}': {what}");
        foreach (var (name, _) in root.ChildEntries)
            if (!KnownChildren.Contains(name) || (name == "scale_shift" && root.ShortClassName != "ScaleShiftMACE"))
                throw Refuse($"module '{name}' ({ClassOf(root, name)}) is not supported by this importer: "
                    + (name.Contains("repulsion") ? "the pair-repulsion (ZBL) term is not implemented." : "this MACE variant is not implemented."));
        RequireFlag(root, "use_so3", false, "SO(3) (use_so3=True) couplings are not implemented");
        RequireFlag(root, "use_agnostic_product", false, "element-agnostic product basis (use_agnostic_product=True) is not implemented");
        RequireFlag(root, "use_last_readout_only", false, "energies from the last readout only (use_last_readout_only=True) are not implemented");
        RequireFlag(root, "apply_cutoff", true, "models without the radial cutoff (apply_cutoff=False) are not implemented");
        if (root.Has("edge_irreps") && root.Attribute("edge_irreps") is not null)
            throw Refuse("edge_irreps is set (a newer MACE interaction layout); it is not implemented.");
        if (root.Has("heads") && root.Attribute("heads") is IList heads && heads.Count != 1)
            throw Refuse($"the model has {heads.Count} heads ({string.Join(", ", heads.Cast<object>())}); only single-head models are supported.");
        if (root.Has("pair_repulsion") && root.Attribute("pair_repulsion") is true)
            throw Refuse("the pair-repulsion (ZBL) term is not implemented.");

        var atomicNumbers = Longs(root, root.Buffer("atomic_numbers")).Select(z => (int)z).ToArray();
        var energiesNode = root.Child("atomic_energies_fn");
        var e0 = Doubles(energiesNode, energiesNode.Buffer("atomic_energies"));
        if (e0.Length != atomicNumbers.Length)
            throw Refuse($"atomic_energies_fn.atomic_energies has {e0.Length} values for {atomicNumbers.Length} elements (multi-head E0s are not supported).");
        double rMax = Doubles(root, root.Buffer("r_max")).Single();

        var radial = root.Child("radial_embedding");
        foreach (var (name, _) in radial.ChildEntries)
            if (name is not ("bessel_fn" or "cutoff_fn"))
                throw Refuse($"module 'radial_embedding.{name}' ({ClassOf(radial, name)}) is not supported (only the Bessel basis with the polynomial cutoff).");
        var bessel = radial.Child("bessel_fn");
        if (bessel.ShortClassName != "BesselBasis")
            throw Refuse($"module 'radial_embedding.bessel_fn' is a {bessel.ShortClassName}; only BesselBasis is supported.");
        var cutoff = radial.Child("cutoff_fn");
        if (cutoff.ShortClassName != "PolynomialCutoff")
            throw Refuse($"module 'radial_embedding.cutoff_fn' is a {cutoff.ShortClassName}; only PolynomialCutoff is supported.");
        int numBessel = (int)bessel.Buffer("bessel_weights").Numel;
        int p = cutoff.Buffers.Any(b => b.Name == "p") ? (int)Doubles(cutoff, cutoff.Buffer("p")).Single() : (int)cutoff.Number("p");

        var sh = root.Child("spherical_harmonics");
        var shIrreps = sh.IrrepsAttribute("irreps_out");
        int maxEll = shIrreps.Lmax;
        if (!shIrreps.Equals(Irreps.SphericalHarmonics(maxEll)) || sh.Attribute("normalize") is not true || sh.Attribute("normalization") as string != "component")
            throw Refuse($"module 'spherical_harmonics' ({shIrreps}, normalization {sh.Attribute("normalization")}) is not the normalised, component-normalised 0..max_ell set this backbone uses.");

        var interactions = root.Child("interactions").Items();
        var products = root.Child("products").Items();
        var readouts = root.Child("readouts").Items();
        if (interactions.Count == 0 || products.Count != interactions.Count || readouts.Count != interactions.Count)
            throw Refuse($"{interactions.Count} interactions, {products.Count} products and {readouts.Count} readouts: expected one of each per layer.");
        foreach (var block in interactions)
            if (!InteractionKinds.IsKnown(block.ShortClassName))
                throw Refuse($"{block.Where} is a {block.ShortClassName}; supported interaction blocks: {InteractionKinds.NonResidual}, {InteractionKinds.Residual}.");
        var later = interactions.Skip(1).Select(b => b.ShortClassName).Distinct().ToList();
        if (later.Count > 1) throw Refuse($"interaction blocks after the first mix classes ({string.Join(", ", later)}); one class is supported.");

        var first = interactions[0];
        var hidden = first.IrrepsAttribute("hidden_irreps");
        double avg = first.Number("avg_num_neighbors");
        var radialMlp = ((IList)first.Child("conv_tp_weights").Attribute("hs")).Cast<object>().Select(Convert.ToInt32).ToArray()[1..^1];
        foreach (var block in interactions)
        {
            if (block.Number("avg_num_neighbors") != avg)
                throw Refuse($"{block.Where} has avg_num_neighbors {block.Number("avg_num_neighbors")}, the first block {avg}; one value is supported.");
            var hs = ((IList)block.Child("conv_tp_weights").Attribute("hs")).Cast<object>().Select(Convert.ToInt32).ToArray()[1..^1];
            if (!hs.SequenceEqual(radialMlp)) throw Refuse($"{block.Path}.conv_tp_weights has hidden widths [{string.Join(", ", hs)}], the first block [{string.Join(", ", radialMlp)}].");
        }
        var correlations = products.Select(prod => prod.Child("symmetric_contractions").Child("contractions").Items()
            .Select(c => (int)c.Number("correlation")).Distinct().ToList()).ToList();
        if (correlations.Any(c => c.Count != 1) || correlations.Select(c => c[0]).Distinct().Count() != 1)
            throw Refuse($"correlation differs between layers or irreps ({string.Join("; ", correlations.Select(c => string.Join(",", c)))}); one correlation is supported.");

        string gate = "silu";
        string mlpIrreps = "16x0e";
        if (readouts.Count > 1)
        {
            var last = readouts[^1];
            if (last.ShortClassName != "NonLinearReadoutBlock")
                throw Refuse($"{last.Where} is a {last.ShortClassName}; the last readout must be a NonLinearReadoutBlock.");
            mlpIrreps = last.Child("linear_1").IrrepsAttribute("irreps_out").ToString();
            var acts = last.Child("non_linearity").Child("acts").Items();
            gate = acts.Count == 1 ? GateName(acts[0]) : throw Refuse($"{last.Path}.non_linearity has {acts.Count} activations; one (scalar MLP irreps) is supported.");
        }
        foreach (var r in readouts.Take(readouts.Count - 1).Concat(readouts.Count == 1 ? readouts : []))
            if (r.ShortClassName != "LinearReadoutBlock") throw Refuse($"{r.Where} is a {r.ShortClassName}; expected a LinearReadoutBlock.");
        var lastProductOut = products[^1].Child("linear").IrrepsAttribute("irreps_out");
        bool keepLast = interactions.Count > 1 && lastProductOut.Equals(hidden);

        double scale = 1, shift = 0;
        if (root.ShortClassName == "ScaleShiftMACE")
        {
            var ss = root.Child("scale_shift");
            var scales = Doubles(ss, ss.Buffer("scale"));
            var shifts = Doubles(ss, ss.Buffer("shift"));
            if (scales.Length != 1 || shifts.Length != 1)
                throw Refuse($"module 'scale_shift' has {scales.Length} scales and {shifts.Length} shifts; per-head values are not supported.");
            (scale, shift) = (scales[0], shifts[0]);
        }

        var hyper = new MaceHyperparameters
        {
            AtomicNumbers = atomicNumbers,
            E0s = atomicNumbers.Zip(e0).ToDictionary(t => t.First, t => t.Second),
            RMax = rMax,
            NumBessel = numBessel,
            NumPolynomialCutoff = p,
            MaxEll = maxEll,
            HiddenIrreps = hidden.ToString(),
            Correlation = correlations[0][0],
            NumInteractions = interactions.Count,
            MlpIrreps = mlpIrreps,
            RadialMlp = radialMlp,
            Interaction = interactions.Count > 1 ? interactions[1].ShortClassName : InteractionKinds.Residual,
            InteractionFirst = first.ShortClassName,
            AvgNumNeighbors = avg,
            Gate = gate,
            KeepLastLayerIrreps = keepLast,
            AtomicInterScale = scale,
            AtomicInterShift = shift,
        };
        try
        {
            hyper.Validate();
        }
        catch (ArgumentException e)
        {
            throw Refuse($"the recovered hyper-parameters are not supported: {e.Message}");
        }
        return hyper;
    }

    /// A version string the pickle records (later MACE versions may store one), or null.
    public static string? RecordedVersion(TorchModuleNode root) =>
        new[] { "__version__", "mace_version", "version" }.Where(root.Has).Select(a => root.Attribute(a)?.ToString()).FirstOrDefault(v => v is not null);

    /// Copies every parameter and buffer of the Python tree into <paramref name="model"/>; entries that are not weights are
    /// checked against our constants. Throws on anything unmapped, on shape mismatches and on weights left unset.
    public static List<MaceParameterMapping> CopyWeights(TorchModuleNode root, MaceModel model)
    {
        string file = root.File;
        var ours = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(model.named_buffers().Select(b => (b.name, b.buffer))).ToDictionary(t => t.Item1, t => t.Item2);
        var filled = new HashSet<string>();
        var mapping = new List<MaceParameterMapping>();
        var hyper = model.Hyperparameters;
        CheckModules(root, model);
        foreach (var (key, stored, owner) in StateDict(root))
        {
            string? use = Classify(key, stored, owner, hyper, model);
            if (use is not null)
            {
                mapping.Add(new MaceParameterMapping(key, stored.Shape, null, use));
                continue;
            }
            string target = key == "node_embedding.linear.weight" ? "node_embedding.weight" : key;
            if (!ours.TryGetValue(target, out var destination))
                throw new MaceImportException($"'{file}': '{key}' [{string.Join(", ", stored.Shape)}] of {owner.Where} ({owner.ShortClassName}) "
                    + "has no counterpart in this MACE implementation.");
            using var value = StoredTensors.ToTensor(stored, $"'{file}': {key}");
            var shaped = value.numel() == destination.numel() && key.EndsWith("atomic_energies", StringComparison.Ordinal) ? value.reshape(destination.shape) : value;
            if (!shaped.shape.SequenceEqual(destination.shape))
                throw new MaceImportException($"'{file}': '{key}' has shape [{string.Join(", ", stored.Shape)}], our '{target}' [{string.Join(", ", destination.shape)}].");
            using (torch.no_grad()) destination.copy_(shaped.to_type(destination.dtype));
            filled.Add(target);
            mapping.Add(new MaceParameterMapping(key, stored.Shape, target, stored.IsParameter ? "parameter" : "buffer"));
        }
        var missing = ours.Keys.Where(k => !filled.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new MaceImportException($"'{file}': the file has no values for {string.Join(", ", missing)}.");
        return mapping;
    }

    /// What a non-weight entry is (checked or used as a hyper-parameter), or null for a weight to copy.
    private static string? Classify(string key, StoredTensor stored, TorchModuleNode owner, MaceHyperparameters hyper, MaceModel model)
    {
        string file = owner.File;
        string name = key[(key.LastIndexOf('.') + 1)..];
        MaceImportException Mismatch(string what) => new($"'{file}': '{key}' {what}");
        switch (key)
        {
            case "atomic_numbers": return "hyper-parameter: the elements (one-hot order)";
            case "r_max": return "hyper-parameter: r_max";
            case "num_interactions": return "hyper-parameter: number of layers";
            case "radial_embedding.bessel_fn.r_max":
            case "radial_embedding.cutoff_fn.r_max":
                if (Doubles(owner, stored).Single() != hyper.RMax) throw Mismatch($"differs from r_max {hyper.RMax}.");
                return "checked: equals r_max";
            case "radial_embedding.cutoff_fn.p": return "hyper-parameter: num_polynomial_cutoff";
            case "radial_embedding.bessel_fn.prefactor":
                CheckClose(Doubles(owner, stored), [Math.Sqrt(2 / hyper.RMax)], key, file);
                return "checked: √(2/r_max)";
            case "radial_embedding.bessel_fn.bessel_weights":
                CheckClose(Doubles(owner, stored), Enumerable.Range(1, hyper.NumBessel).Select(n => n * Math.PI / hyper.RMax).ToArray(), key, file,
                    "trainable Bessel frequencies are not supported");
                return "checked: nπ/r_max (num_bessel)";
            case "scale_shift.scale": return "hyper-parameter: atomic_inter_scale";
            case "scale_shift.shift": return "hyper-parameter: atomic_inter_shift";
        }
        if (name == "output_mask") return "derived from the irreps (e3nn output mask)";
        if (name == "bias")
            return stored.Numel == 0 ? "empty (no bias)" : throw Mismatch("is a non-empty bias; e3nn Linear biases are not implemented.");
        if (name == "weight" && owner.ShortClassName == "TensorProduct")
            return stored.Numel == 0 ? "empty (weights come from the radial MLP)" : throw Mismatch("holds internal tensor-product weights; not implemented.");
        if (UMatrixName().Match(name) is { Success: true } u)
        {
            CheckCoupling(owner, stored, int.Parse(u.Groups[1].Value), key, model);
            return "checked: equals our U matrix (coupling basis)";
        }
        if (ZeroedFlag().IsMatch(name))
        {
            if (Longs(owner, stored).Single() != 0)
            {
                string weights = name == "weights_max_zeroed" ? "weights_max" : $"weights.{name.Split('_')[1]}";
                using var w = StoredTensors.ToTensor(owner.Object.Attributes is { } ? FindWeights(owner, weights) : throw Mismatch("owner has no weights."), key);
                if (w.abs().max().item<double>() != 0) throw Mismatch($"marks {weights} as zeroed but they are not zero.");
            }
            return "checked: zeroed-path flag (its weights are zero when set)";
        }
        return null;
    }

    private static StoredTensor FindWeights(TorchModuleNode contraction, string name) =>
        name == "weights_max" ? contraction.Parameter("weights_max") : contraction.Child("weights").Parameter(name.Split('.')[1]);

    /// Compares the file's U matrix with ours for the same coupling irreps, output irrep and correlation.
    private static void CheckCoupling(TorchModuleNode contraction, StoredTensor stored, int nu, string key, MaceModel model)
    {
        var coupling = contraction.IrrepsAttribute("coupling_irreps");
        var where = ContractionPath().Match(contraction.Path);
        if (!where.Success) throw new MaceImportException($"'{contraction.File}': '{key}' is not inside products.N.symmetric_contractions.contractions.M.");
        int t = int.Parse(where.Groups[1].Value), j = int.Parse(where.Groups[2].Value);
        if (t >= model.Products.Count || j >= model.Products[t].TargetIrreps.Count)
            throw new MaceImportException($"'{contraction.File}': '{key}' has no counterpart in this backbone.");
        using var file = StoredTensors.ToTensor(stored, key);
        using var ours = UMatrices.Real(coupling, model.Products[t].TargetIrreps[j].Ir, nu);
        if (!file.shape.SequenceEqual(ours.shape) || (file - ours).abs().max().item<double>() > ConstantTolerance)
            throw new MaceImportException($"'{contraction.File}': '{key}' [{string.Join(", ", file.shape)}] is not the coupling basis this backbone builds "
                + $"([{string.Join(", ", ours.shape)}], e3nn/MACE construction); models with another coupling basis are not supported.");
    }

    /// Walks the module tree like torch's state_dict(): (key, tensor, owning module) for every parameter and persistent
    /// buffer. TorchScript and torch.fx code objects hold no weights and are skipped.
    private static IEnumerable<(string Key, StoredTensor Tensor, TorchModuleNode Owner)> StateDict(TorchModuleNode node)
    {
        foreach (var (name, tensor) in node.Parameters) yield return (node.Prefix + name, tensor, node);
        foreach (var (name, tensor) in node.Buffers) yield return (node.Prefix + name, tensor, node);
        foreach (var (name, value) in node.ChildEntries)
        {
            if (value is null) continue;
            if (value is PickledObject { ClassName: "torch.fx.graph_module.reduce_graph_module" } graph)
            {
                if (HasWeights(graph)) throw new MaceImportException($"'{node.File}': the generated module '{node.Prefix}{name}' carries weights; not supported.");
                continue;
            }
            foreach (var entry in StateDict(node.Child(name))) yield return entry;
        }
    }

    private static bool HasWeights(PickledObject graph) =>
        graph.Args is [Hashtable body, ..] && new[] { "_parameters", "_buffers" }.Any(k => body[k] is IDictionary d && d.Count > 0);

    /// Checks that every e3nn layer of the file has the irreps and path normalisations of our corresponding module.
    private static void CheckModules(TorchModuleNode root, MaceModel model)
    {
        var ours = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var node in Walk(root))
        {
            string ourPath = node.Path == "node_embedding.linear" ? "node_embedding" : node.Path;
            switch (node.ClassName)
            {
                case "e3nn.o3._linear.Linear":
                    if (!ours.TryGetValue(ourPath, out var l) || l is not EquivariantLinear linear)
                        throw new MaceImportException($"'{node.File}': {node.Where} (e3nn Linear) has no counterpart here.");
                    CheckIrreps(node, "irreps_in", linear.IrrepsIn);
                    CheckIrreps(node, "irreps_out", linear.IrrepsOut);
                    CheckLinearNormalisation(node, linear);
                    break;
                case "e3nn.o3._tensor_product._tensor_product.TensorProduct":
                case "e3nn.o3._tensor_product._sub.FullyConnectedTensorProduct":
                    if (!ours.TryGetValue(ourPath, out var t))
                        throw new MaceImportException($"'{node.File}': {node.Where} ({node.ShortClassName}) has no counterpart here.");
                    var (paths, irreps1, irreps2, irrepsOut, mode) = t switch
                    {
                        ChannelwiseTensorProduct c => (c.Paths, c.Irreps1, c.Irreps2, c.IrrepsOut, "uvu"),
                        FullyConnectedTensorProduct f => (f.Paths, f.Irreps1, f.Irreps2, f.IrrepsOut, "uvw"),
                        _ => throw new MaceImportException($"'{node.File}': {node.Where} ({node.ShortClassName}) has no counterpart here."),
                    };
                    CheckIrreps(node, "irreps_in1", irreps1);
                    CheckIrreps(node, "irreps_in2", irreps2);
                    CheckIrreps(node, "irreps_out", irrepsOut);
                    CheckPaths(node, paths, mode);
                    break;
                case "e3nn.math._normalize_activation.normalize2mom":
                    var function = node.Attribute("f") as PythonGlobal;
                    var expected = ActivationByName(function?.Name ?? "?", node);
                    if (node.Attribute("_is_id") is true ? expected.Constant != 1 : Math.Abs(node.Number("cst") - expected.Constant) > ConstantTolerance)
                        throw new MaceImportException($"'{node.File}': {node.Where} normalises {function} by {node.Attribute("cst")}, this backbone by {expected.Constant:R}.");
                    break;
            }
        }
    }

    private static IEnumerable<TorchModuleNode> Walk(TorchModuleNode node)
    {
        yield return node;
        foreach (var (name, value) in node.ChildEntries)
            if (value is PickledObject { Attributes: not null } && value is not PickledObject { ClassName: "torch.fx.graph_module.reduce_graph_module" })
                foreach (var n in Walk(node.Child(name))) yield return n;
    }

    private static void CheckIrreps(TorchModuleNode node, string attribute, Irreps ours)
    {
        var theirs = node.IrrepsAttribute(attribute);
        if (!theirs.Equals(ours))
            throw new MaceImportException($"'{node.File}': {node.Where} has {attribute} {theirs}, this backbone builds {ours} there.");
    }

    /// e3nn Linear path weights: 1/√(Σ mul_in of the paths into the output segment) ('element' normalisation).
    private static void CheckLinearNormalisation(TorchModuleNode node, EquivariantLinear linear)
    {
        var instructions = node.Attribute<IList>("instructions").Cast<PickledObject>().Select(i => Tuple(i)).ToList();
        var fanIn = new Dictionary<int, int>();
        foreach (var i in instructions) fanIn[Convert.ToInt32(i[1])] = fanIn.GetValueOrDefault(Convert.ToInt32(i[1])) + linear.IrrepsIn[Convert.ToInt32(i[0])].Mul;
        foreach (var i in instructions)
        {
            double expected = 1 / Math.Sqrt(fanIn[Convert.ToInt32(i[1])]);
            if (Math.Abs(Convert.ToDouble(i[3]) - expected) > ConstantTolerance)
                throw new MaceImportException($"'{node.File}': {node.Where} has path weight {i[3]} for path {i[0]}→{i[1]}, this backbone {expected:R} "
                    + "(only e3nn's default 'element' normalisation is supported).");
        }
    }

    private static void CheckPaths(TorchModuleNode node, IReadOnlyList<TensorProductPath> ours, string mode)
    {
        var instructions = node.Attribute<IList>("instructions").Cast<PickledObject>().Select(i => Tuple(i)).ToList();
        if (instructions.Count != ours.Count)
            throw new MaceImportException($"'{node.File}': {node.Where} has {instructions.Count} paths, this backbone {ours.Count}.");
        for (int k = 0; k < ours.Count; k++)
        {
            var i = instructions[k];
            var p = ours[k];
            bool same = Convert.ToInt32(i[0]) == p.Input1 && Convert.ToInt32(i[1]) == p.Input2 && Convert.ToInt32(i[2]) == p.Output
                && i[3] as string == mode && Math.Abs(Convert.ToDouble(i[5]) - p.Alpha) <= ConstantTolerance;
            if (!same)
                throw new MaceImportException($"'{node.File}': {node.Where} path {k} is ({string.Join(", ", i.Take(6))}), this backbone "
                    + $"({p.Input1}, {p.Input2}, {p.Output}, {mode}, {p.Alpha:R}).");
        }
    }

    private static object[] Tuple(PickledObject o) => o.Args is [object[] inner] ? inner : o.Args;

    private static NormalizedActivation ActivationByName(string name, TorchModuleNode node) => name switch
    {
        "silu" => NormalizedActivation.Silu(),
        "tanh" => NormalizedActivation.Tanh(),
        "abs" => new NormalizedActivation(x => x.abs()),
        _ => throw new MaceImportException($"'{node.File}': {node.Where} uses the activation '{name}'; supported: silu, tanh, abs."),
    };

    private static string GateName(TorchModuleNode act)
    {
        if (act.ShortClassName != "normalize2mom")
            throw new MaceImportException($"'{act.File}': {act.Where} is a {act.ShortClassName}; expected e3nn's normalize2mom activation.");
        var f = act.Attribute("f") as PythonGlobal
            ?? throw new MaceImportException($"'{act.File}': {act.Where} has no named activation function.");
        ActivationByName(f.Name, act);
        return f.Name;
    }

    private static void RequireFlag(TorchModuleNode root, string attribute, bool expected, string what)
    {
        if (root.Has(attribute) && root.Attribute(attribute) is bool b && b != expected)
            throw new MaceImportException($"'{root.File}': {what}.");
    }

    private static string ClassOf(TorchModuleNode parent, string name) =>
        parent.ChildEntries.First(c => c.Name == name).Value is PickledObject o ? o.ClassName : "None";

    private static void CheckClose(double[] actual, double[] expected, string key, string file, string? why = null)
    {
        if (actual.Length != expected.Length || actual.Zip(expected).Any(t => Math.Abs(t.First - t.Second) > ConstantTolerance * Math.Max(1, Math.Abs(t.Second))))
            throw new MaceImportException($"'{file}': '{key}' is [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]"
                + (why is null ? "." : $": {why}."));
    }

    private static double[] Doubles(TorchModuleNode owner, StoredTensor stored)
    {
        using var t = StoredTensors.ToTensor(stored, $"'{owner.File}': {owner.Where}");
        using var d = t.to_type(ScalarType.Float64).flatten();
        return d.data<double>().ToArray();
    }

    private static long[] Longs(TorchModuleNode owner, StoredTensor stored)
    {
        using var t = StoredTensors.ToTensor(stored, $"'{owner.File}': {owner.Where}");
        using var d = t.to_type(ScalarType.Int64).flatten();
        return d.data<long>().ToArray();
    }

    [GeneratedRegex(@"^products\.(\d+)\.symmetric_contractions\.contractions\.(\d+)$")]
    private static partial Regex ContractionPath();

    [GeneratedRegex(@"^U_matrix_(\d+)$")]
    private static partial Regex UMatrixName();

    [GeneratedRegex(@"^weights_(\d+|max)_zeroed$")]
    private static partial Regex ZeroedFlag();
}
