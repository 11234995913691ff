#!/usr/bin/env python3
"""Trains and evaluates every available model class on the QM benchmark suite and writes docs/accuracy.md.

  python3 data/benchmarks/run.py                        # every system and class (about 1-2 h on 2 cores)
  python3 data/benchmarks/run.py --system ag3 --class converged --class local
  python3 data/benchmarks/run.py --eval-only            # evaluate models trained before (runs/benchmarks/SYSTEM/CLASS/seed-N/)
  python3 data/benchmarks/run.py --report-only          # rewrite docs/accuracy.md from finished runs
  python3 data/benchmarks/run.py --system ag3 --class converged --seed 2   # another seed of one config

Each run trains with its config's `seed` unless --seed is given (repeat it for several seeds); runs go to
runs/benchmarks/SYSTEM/CLASS/seed-N/, and results.json keeps one entry per seed, so a second seed never replaces the
first: the tables show a row per seed and, with several, their mean and range.

For each system (data/benchmarks/<system>/{train,valid,test}.xyz, made by generate.py) and class
(data/benchmarks/configs/<class>.yaml) it runs `macescf train` (wall and CPU time measured; one libtorch thread unless
--threads), then `macescf eval` on the test set with the class's inference SCF (tolerance 1e-6, up to 1000 steps so the
update count is measured, not capped), and scores the prediction file: RMSE per config_type and overall of energy per atom, forces, charges, atomic dipoles and the
molecular dipole, SCF updates, and parity plots. Runs go to runs/benchmarks/ (ignored by git); results.json, the
predicted energies, forces and charges of each class's plotted seed (predictions/SYSTEM.CLASS.json, so that a plot keeps
the classes not re-run) and the plots go to docs/accuracy/, the tables to docs/accuracy.md.

Needs Python 3 with ASE, numpy and matplotlib (Debian: python3-ase, python3-matplotlib).
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
from ase.io import read

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SYSTEMS = {"ag3": "Ag3+ / Ag3-", "c10h2": "C10H2 / C10H3+", "nacl": "Na8Cl8 / Na9Cl8+"}
# Model classes: the config file and the SCF used at inference (constant_charge, mixing_parameter; None: a class without an
# SCF, evaluated once). Mixing 0.6 for every class with an SCF: with 0.3 even a density that ignores the potential needs
# about 30 updates to 1e-6 (docs/accuracy.md).
CLASSES = {
    "converged": ("fixed point, recommended recipe (direct, then linearize_solve at the converged fixed point)", True, 0.6),
    "local": ("local baseline (field features off)", False, 0.6),
    "mace": ("MACE (no charges)", None, None),
    "local_charges": ("LocalCharges (charges predicted once)", None, None),
    "split_charges": ("LocalSplitCharges (formal charges + local transfers)", None, None),
    "qeq": ("MACEQEq (charge equilibration)", None, None),
}
# Ko et al., Nat. Commun. 12, 398 (2021), 4G-HDNNP test RMSEs on their DFT data: E meV/atom, F meV/A, q me.
HDNNP = {"ag3": (1.32, 31.7, 10.0), "c10h2": (1.19, 78.0, 6.6)}
PREFIX = "macescf_"


def describe(cls):
    """(label, constant_charge, mixing) of a class: CLASSES, else (a config of --configs) a local model when its name starts with
    `local`, a fixed-point model otherwise."""
    if cls in CLASSES:
        return CLASSES[cls]
    return (f"local, {cls}", False, 0.6) if cls.startswith("local") else (f"fixed point, {cls}", True, 0.6)


def config_file(configs, cls, system):
    """configs/<class>.<system>.yaml when the system has its own, else configs/<class>.yaml; None when neither exists (the
    class does not apply to the system, e.g. LocalSplitCharges on Ag3+/Ag3-)."""
    for path in [os.path.join(configs, f"{cls}.{system}.yaml"), os.path.join(configs, f"{cls}.yaml")]:
        if os.path.exists(path):
            return path
    return None


def config_seed(path):
    """The `seed` of a config file (macescf train's default 123 when it has none): the seed a run without --seed uses."""
    match = re.search(r"^seed:\s*(\d+)\s*(#.*)?$", open(path).read(), re.MULTILINE)
    return int(match.group(1)) if match else 123


def run_folder(runs, system, cls, seed):
    return os.path.join(runs, system, cls, f"seed-{seed}")


def train(system, cls, seed, macescf, runs, configs, threads):
    data = os.path.join(HERE, system)
    work = run_folder(runs, system, cls, seed)
    config = config_file(configs, cls, system)
    os.makedirs(work, exist_ok=True)
    load_before = os.getloadavg()[0]
    start = time.time()
    cpu_before = os.times()
    with open(os.path.join(work, "train.out"), "w") as out:
        subprocess.run(macescf + ["train", "--config", config, "--seed", str(seed),
                                  "--train_file", os.path.join(data, "train.xyz"), "--valid_file", os.path.join(data, "valid.xyz"),
                                  "--test_file", os.path.join(data, "test.xyz"), "--work_dir", work, "--model_dir", work],
                       stdout=out, stderr=subprocess.STDOUT, check=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    cpu_after = os.times()
    # CPU time of the training process (user + system): with one thread, close to its wall time on an idle core, whatever
    # the load of a shared machine (which stretches the wall time).
    cpu = (cpu_after.children_user - cpu_before.children_user) + (cpu_after.children_system - cpu_before.children_system)
    with open(os.path.join(work, "timing.json"), "w") as f:
        json.dump({"train_seconds": time.time() - start, "cpu_seconds": cpu, "threads": threads, "load_before": load_before,
                   "load_after": os.getloadavg()[0], "cores": os.cpu_count(), "commit": commit(), "config": os.path.basename(config),
                   "date": time.strftime("%Y-%m-%d"), "data": data_hash(system)}, f)


def data_hash(system):
    """The first 8 hex digits of the SHA-256 of the system's train, valid and test files: which data a run was trained and
    scored on (results.json `data`; the tables mark the runs on other data than the current files, and average seeds only
    on the current files)."""
    digest = hashlib.sha256()
    for split in ["train", "valid", "test"]:
        with open(os.path.join(HERE, system, f"{split}.xyz"), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:8]


def commit():
    """The checkout's commit (with `+changes` when its tracked files differ from it): what the training ran."""
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD"]).returncode != 0
    return head + ("+changes" if dirty else "")


def evaluate(system, cls, seed, macescf, runs):
    """The test set with a converged SCF: tolerance 1e-6 and up to 1000 steps, so the update count is measured, not capped;
    Anderson mixing (depth 4), as the converged stage of training. A class without an SCF is evaluated once. The model is
    the run's `{name}_run-{seed}.model` (every benchmark config is named after its class, BenchmarkConfigTests)."""
    _, constant_charge, mixing = describe(cls)
    work = run_folder(runs, system, cls, seed)
    model = os.path.join(work, f"{cls}_run-{seed}.model")
    if not os.path.exists(model):
        sys.exit(f"{system} {cls} seed {seed}: no trained model {model}; train it first (run.py without --eval-only, "
                 f"with the same --runs and --seed)")
    scf = [] if constant_charge is None else [
        "--num_scf_steps", "1000", "--scf_tolerance", "1e-6", "--constant_charge", "true" if constant_charge else "false",
        "--mixing_parameter", str(mixing), "--scf_mixer", "anderson"]
    with open(os.path.join(work, "eval.out"), "w") as out:
        subprocess.run(macescf + ["eval", model, os.path.join(HERE, system, "test.xyz"),
                                  "-o", os.path.join(work, "test_predictions.xyz")] + scf,
                       stdout=out, stderr=subprocess.STDOUT)


def timing(work, cls, seed):
    """timing.json of run.py's training, else the sum of the per-epoch times of the metrics file (a run started by hand)."""
    path = os.path.join(work, "timing.json")
    if os.path.exists(path):
        return json.load(open(path))
    metrics = os.path.join(work, "results", f"{cls}_run-{seed}_train.jsonl")
    seconds = sum(json.loads(line)["time"] for line in open(metrics) if line.strip())
    return {"train_seconds": seconds, "cpu_seconds": float("nan"), "load_before": float("nan"), "load_after": float("nan"),
            "cores": os.cpu_count()}


def rmse(values):
    values = np.asarray(values, dtype=float).ravel()
    return float(np.sqrt(np.mean(values ** 2))) if values.size else float("nan")


def converged_frames(frames):
    """The frames whose SCF converged (every frame of a class without an SCF)."""
    return [a for a in frames if a.info.get(PREFIX + "scf_status", "converged") == "converged"]


def score(frames):
    """RMSEs in meV/atom, meV/A, me, me*A over the converged frames; SCF counts over all frames (NaN: no SCF, or no
    charges for a class that predicts none)."""
    converged = converged_frames(frames)
    steps = [int(a.info[PREFIX + "scf_steps"]) for a in frames if PREFIX + "scf_steps" in a.info]
    charged = [a for a in converged if PREFIX + "density_coefficients" in a.arrays]
    e = [(a.info[PREFIX + "energy"] - a.info["energy"]) / len(a) for a in converged]
    f = [a.arrays[PREFIX + "forces"] - a.arrays["forces"] for a in converged]
    q = [a.arrays[PREFIX + "density_coefficients"][:, 0] - a.arrays["atomic_multipoles"][:, 0] for a in charged]
    d = [a.arrays[PREFIX + "density_coefficients"][:, 1:4] - a.arrays["atomic_multipoles"][:, 1:4] for a in charged]
    p = [np.asarray(a.info[PREFIX + "dipole"]) - np.asarray(a.info["dipole"]) for a in charged]
    cat = lambda xs: np.concatenate([np.ravel(x) for x in xs]) if xs else np.array([])
    return {
        "frames": len(frames), "converged": len(converged),
        "energy_mev_per_atom": 1000 * rmse(e), "forces_mev_per_a": 1000 * rmse(cat(f)), "charges_me": 1000 * rmse(cat(q)),
        "atomic_dipoles_me_a": 1000 * rmse(cat(d)), "dipole_me_a": 1000 * rmse(cat(p)),
        "scf_mean": float(np.mean(steps)) if steps else float("nan"), "scf_max": int(np.max(steps)) if steps else None,
    }


def predictions_file(docs, system, cls):
    return os.path.join(docs, "accuracy", "predictions", f"{system}.{cls}.json")


def keep_predictions(frames, seed, path):
    """What the parity plot needs of one run (its seed, and per converged test frame its index in test.xyz, the predicted
    energy per atom, forces and charges), kept beside results.json so that a later partial re-run still plots this class."""
    kept = [(i, a) for i, a in enumerate(frames) if a.info.get(PREFIX + "scf_status", "converged") == "converged"]
    rounded = lambda x: [float(f"{v:.5g}") for v in np.ravel(x)]
    data = {"seed": seed, "frames": [i for i, _ in kept],
            "energy_per_atom": [float(f"{a.info[PREFIX + 'energy'] / len(a):.8f}") for _, a in kept],
            "forces": [rounded(a.arrays[PREFIX + "forces"]) for _, a in kept],
            "charges": [rounded(a.arrays[PREFIX + "density_coefficients"][:, 0]) if PREFIX + "density_coefficients" in a.arrays
                        else None for _, a in kept]}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)


def parity(system, docs, results, out_png):
    """Parity plots of every class of `results` (class → seed → entry) with kept predictions (keep_predictions) against the
    labels of the test set, all classes on the same axes: the top row prediction against label, the bottom row the error
    (prediction − label) against label, where models whose points overlap at the top are told apart; each legend entry
    gives the class's test RMSE of that seed. Energies per atom are shown relative to the mean label of their config_type
    (both charge states of a system lie eV/atom apart, which would hide the spread within each)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    reference = read(os.path.join(HERE, system, "test.xyz"), ":")
    species = sorted({a.info["config_type"] for a in reference})
    mean = {t: np.mean([a.info["energy"] / len(a) for a in reference if a.info["config_type"] == t]) for t in species}
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.4))
    markers = "os^Dv<>p"
    for k, (cls, by_seed) in enumerate(results.items()):
        path = predictions_file(docs, system, cls)
        if not os.path.exists(path):
            continue
        kept = json.load(open(path))
        frames = [reference[i] for i in kept["frames"]]
        errors = by_seed.get(str(kept["seed"]), {}).get("all", {})
        style = dict(marker=markers[k % len(markers)], alpha=0.6, linewidths=0)
        label = lambda key, unit: f"{cls} (seed {kept['seed']}): RMSE {errors[key]:.3g} {unit}" if key in errors else f"{cls} (seed {kept['seed']})"
        shift = np.array([mean[a.info["config_type"]] for a in frames])
        e_ref = 1000 * (np.array([a.info["energy"] / len(a) for a in frames]) - shift)
        e = 1000 * (np.array(kept["energy_per_atom"]) - shift)
        f_ref = np.concatenate([a.arrays["forces"].ravel() for a in frames])
        f = np.concatenate(kept["forces"])
        axes[0, 0].scatter(e_ref, e, s=10, label=label("energy_mev_per_atom", "meV/atom"), **style)
        axes[1, 0].scatter(e_ref, e - e_ref, s=10, **style)
        axes[0, 1].scatter(f_ref, f, s=4, label=label("forces_mev_per_a", "meV/Å"), **style)
        axes[1, 1].scatter(f_ref, 1000 * (f - f_ref), s=4, **style)
        charged = [(a, q) for a, q in zip(frames, kept["charges"]) if q is not None]
        if charged:
            q_ref = np.concatenate([a.arrays["atomic_multipoles"][:, 0] for a, _ in charged])
            q = np.concatenate([q for _, q in charged])
            axes[0, 2].scatter(q_ref, q, s=6, label=label("charges_me", "me"), **style)
            axes[1, 2].scatter(q_ref, 1000 * (q - q_ref), s=6, **style)
    for column, (title, unit, error_unit) in enumerate([("energy − mean label of its config_type", "meV/atom", "meV/atom"),
                                                        ("forces", "eV/Å", "meV/Å"), ("charges", "e", "me")]):
        top, bottom = axes[0, column], axes[1, column]
        lo, hi = top.get_xlim()
        top.plot([lo, hi], [lo, hi], "k-", lw=0.5)
        top.set_title(f"{title} ({unit})")
        top.set_ylabel("model (converged SCF)")
        if top.get_legend_handles_labels()[0]:
            top.legend(fontsize=7)
        bottom.axhline(0.0, color="k", lw=0.5)
        bottom.set_xlabel(f"GFN2-xTB ({unit})")
        bottom.set_ylabel(f"model − GFN2-xTB ({error_unit})")
    fig.suptitle(f"{SYSTEMS[system]}: test set")
    fig.tight_layout()
    fig.savefig(out_png + ".tmp.png", dpi=90)
    os.replace(out_png + ".tmp.png", out_png)


def seeds_run(runs, system, cls):
    """The seeds of a class with an evaluated run (runs/SYSTEM/CLASS/seed-N/test_predictions.xyz)."""
    folder = os.path.join(runs, system, cls)
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return sorted(int(name[5:]) for name in names
                  if re.fullmatch(r"seed-\d+", name) and os.path.exists(os.path.join(folder, name, "test_predictions.xyz")))


def plotted_seed(configs, system, cls, seeds):
    """The seed a class is shown with first and plotted with: its config's seed (the adopted run), else the lowest run."""
    config = config_file(configs, cls, system)
    seed = config_seed(config) if config else None
    return seed if seed in seeds else min(seeds)


def report(runs, docs, configs, classes):
    """Scores every evaluated run of `runs`, one entry per seed in docs/accuracy/results.json (system → class → seed); the
    entries with no run there are kept, so one system, class or seed can be re-run alone. The plotted seed's predictions
    are kept in docs/accuracy/predictions/, and the parity plot of a system is redrawn, with every class of results.json
    whose predictions are kept, when a plotted seed of it was scored (another seed alone leaves the plot as it is)."""
    path = os.path.join(docs, "accuracy", "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    plotted = set()
    for system in SYSTEMS:
        for cls in classes:
            for seed in seeds_run(runs, system, cls):
                work = run_folder(runs, system, cls, seed)
                frames = read(os.path.join(work, "test_predictions.xyz"), ":")
                entry = {"all": score(frames)}
                for config_type in sorted({a.info["config_type"] for a in frames}):
                    entry[config_type] = score([a for a in frames if a.info["config_type"] == config_type])
                entry.update(timing(work, cls, seed))
                by_seed = results.setdefault(system, {}).setdefault(cls, {})
                by_seed[str(seed)] = entry
                # The plotted seed's predictions; another seed's when none of the class are kept (its plotted seed's run
                # is gone), so that the plot still shows the class, with the seed in its legend.
                path_kept = predictions_file(docs, system, cls)
                if seed == plotted_seed(configs, system, cls, [int(s) for s in by_seed]) or not os.path.exists(path_kept):
                    keep_predictions(frames, seed, path_kept)
                    plotted.add(system)
    os.makedirs(os.path.join(docs, "accuracy"), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)
    for system in sorted(plotted):
        parity(system, docs, results[system], os.path.join(docs, "accuracy", f"{system}_parity.png"))
    return results


BEGIN = "<!-- BEGIN GENERATED TABLES (data/benchmarks/run.py) -->"
END = "<!-- END GENERATED TABLES -->"
QUANTITIES = ["energy_mev_per_atom", "forces_mev_per_a", "charges_me", "atomic_dipoles_me_a", "dipole_me_a"]


def tables(results, configs):
    """The markdown tables of docs/accuracy.md: one per system; per class a row per seed (the config's seed first) and
    config_type, with several seeds a row of their mean and range; the 4G-HDNNP row after."""
    lines = [BEGIN, ""]
    for system, classes in results.items():
        current = data_hash(system)
        lines += [f"### {SYSTEMS[system]}", "",
                  "| model | seed | test set | E (meV/atom) | F (meV/Å) | q (me) | atomic dipoles (me·Å) | dipole (me·Å) | SCF updates mean / max | converged | training: wall (load); CPU (min); commit; config; data |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for cls, by_seed in classes.items():
            first = plotted_seed(configs, system, cls, [int(s) for s in by_seed])
            seeds = [first] + sorted(int(s) for s in by_seed if int(s) != first)
            for seed in seeds:
                entry = by_seed[str(seed)]
                load, cpu = (entry["load_before"], entry.get("load_after", float("nan"))), entry.get("cpu_seconds", float("nan"))
                loads = "–".join(f"{x:.0f}" for x in load if np.isfinite(x))
                minutes = (f"{entry['train_seconds'] / 60:.1f}" + (f" (load {loads})" if loads else "")
                           + (f"; CPU {cpu / 60:.1f}" if np.isfinite(cpu) else "") + "".join(f"; {entry[k]}" for k in ["commit", "config"] if k in entry)
                           + (f"; data {entry['data']}" if "data" in entry else ""))
                for part in ["all"] + sorted(k for k in entry if isinstance(entry[k], dict) and k != "all"):
                    r = entry[part]
                    scf = f"{r['scf_mean']:.1f} / {r['scf_max']}" if r["scf_max"] is not None else "no SCF"
                    label = describe(cls)[0] if seed == first and part == "all" else ""
                    if part == "all" and entry.get("data", current) != current:
                        label += f" **(on earlier data {entry['data']}, not the current files' {current})**"
                    lines.append(f"| {label} | {seed if part == 'all' else ''} | {part} | {r['energy_mev_per_atom']:.2f} | {r['forces_mev_per_a']:.1f} | "
                                 f"{number(r['charges_me'])} | {number(r['atomic_dipoles_me_a'])} | {number(r['dipole_me_a'])} | {scf} | "
                                 f"{r['converged']}/{r['frames']} | {minutes if part == 'all' else ''} |")
            # Never mix data versions in a mean (runs from before run.py recorded the data count as current).
            on_current = [seed for seed in seeds if by_seed[str(seed)].get("data", current) == current]
            if len(on_current) > 1:
                spread = [spread_of([by_seed[str(seed)]["all"][q] for seed in on_current], 2 if q == QUANTITIES[0] else 1)
                          for q in QUANTITIES]
                lines.append(f"| | {len(on_current)} seeds | all: mean (min–max) | " + " | ".join(spread) + " | | | |")
        if system in HDNNP:
            e, f, q = HDNNP[system]
            lines.append(f"| 4G-HDNNP (Ko et al. 2021; DFT labels, not comparable one to one) | | all | {e} | {f} | {q} | – | – | – | – | – |")
        lines += ["", f"![parity plots {system}](accuracy/{system}_parity.png)", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def spread_of(values, digits):
    """mean (min–max) of one quantity over seeds, or – when the class does not predict it."""
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)):
        return "–"
    return f"{values.mean():.{digits}f} ({values.min():.{digits}f}–{values.max():.{digits}f})"


def number(value):
    """One decimal, or – for a quantity the class does not predict."""
    return f"{value:.1f}" if np.isfinite(value) else "–"


def write_markdown(results, configs, path):
    text = open(path).read() if os.path.exists(path) else f"# Accuracy on QM benchmarks\n\n{BEGIN}\n{END}\n"
    begin, end = text.index(BEGIN), text.index(END) + len(END) + 1
    with open(path + ".tmp", "w") as f:
        f.write(text[:begin] + tables(results, configs) + text[end:])
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", choices=sorted(SYSTEMS), action="append")
    parser.add_argument("--class", dest="classes", action="append", help="a config of --configs (default: every class of CLASSES)")
    parser.add_argument("--macescf", default=os.path.join(ROOT, "macescf"), help="the macescf program (default: ./macescf)")
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs", "benchmarks"), help="training runs (default: runs/benchmarks, ignored by git)")
    parser.add_argument("--configs", default=os.path.join(HERE, "configs"),
                        help="folder of the class configs <class>.yaml (default: data/benchmarks/configs)")
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs"),
                        help="where accuracy.md, accuracy/results.json and the plots go (default: docs)")
    parser.add_argument("--threads", type=int, default=1,
                        help="libtorch threads of each training (OMP_NUM_THREADS; default 1: its CPU time is then its wall time on an idle core)")
    parser.add_argument("--seed", dest="seeds", type=int, action="append",
                        help="train (or evaluate) with this seed instead of the config's; repeat for several seeds")
    parser.add_argument("--eval-only", action="store_true", help="evaluate models already trained in the runs folder")
    parser.add_argument("--report-only", action="store_true", help="only rewrite the tables and plots from evaluated runs")
    args = parser.parse_args()
    macescf = args.macescf.split()
    if not args.report_only:
        for system in args.system or list(SYSTEMS):
            for cls in args.classes or list(CLASSES):
                config = config_file(args.configs, cls, system)
                if config is None:
                    print(f"{system} {cls}: no config (the class does not apply), skipped", flush=True)
                    continue
                for seed in args.seeds or [config_seed(config)]:
                    print(f"{system} {cls} seed {seed} ...", flush=True)
                    if not args.eval_only:
                        train(system, cls, seed, macescf, args.runs, args.configs, args.threads)
                    evaluate(system, cls, seed, macescf, args.runs)
    results = report(args.runs, args.docs, args.configs, args.classes or list(CLASSES))
    write_markdown(results, args.configs, os.path.join(args.docs, "accuracy.md"))
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
