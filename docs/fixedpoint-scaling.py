"""Draws docs/fixedpoint-scaling.png from docs/fixedpoint-scaling.csv (docs/benchmarks.md, "Whole fixed-point model").

  /usr/bin/python3 docs/fixedpoint-scaling.py

The CSV holds one row per run of `bench fixedpoint-scaling` (system `random crystal`: the random-weight benchmark model) or
`bench fixedpoint-model-timing --scaling` (system `trained water`: the trained periodic water model, replicated; with automatic
edge chunks, or `without chunks`; `(main 910c4d1)` and `mixed dot products`: before and after the update's dot products
mixed b by the path weights and evaluations without a graph were chunked; `retrained water`: the model retrained at 18:45 UTC,
with the Anderson mixer of main a2764ea, whose SCF diverged at 10,080 atoms, and with the preconditioned mixer): atoms, k-space method, SCF updates, wall seconds, process CPU seconds (both threads), peak GB,
load, and whether the backbone's symmetric contractions ran whole or in node blocks (edge chunks).
"""
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "fixedpoint-scaling.csv")) as stream:
    rows = list(csv.DictReader(stream))

series = [
    ("random crystal", "whole", ":", "C0", "random model, whole contractions"),
    ("random crystal", "node blocks", "--", "C0", "random model, node blocks"),
    ("trained water without chunks", None, ":", "C3", "trained water, no chunks"),
    ("trained water", None, "-", "C3", "trained water, automatic chunks"),
    ("trained water (main 910c4d1)", None, "-.", "C1", "trained water, main 910c4d1"),
    ("trained water mixed dot products", None, "-", "C2", "trained water, mixed dot products"),
    ("retrained water (main a2764ea mixer)", None, ":", "C4", "retrained water, Anderson (10k diverged)"),
    ("retrained water preconditioned mixer", None, "-", "C4", "retrained water, preconditioned Anderson"),
]
fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
for system, contractions, style, color, name in series:
    points = sorted((int(r["atoms"]), float(r["cpu_seconds"]), float(r["peak_gb"]), r["kspace_method"]) for r in rows
                    if r["system"] == system and (contractions is None or r["contractions"] == contractions))
    if not points:
        continue
    atoms = [p[0] for p in points]
    left.plot(atoms, [1e3 * p[1] / p[0] for p in points], linestyle=style, color=color, marker="o", label=name)
    right.plot(atoms, [p[2] for p in points], linestyle=style, color=color, marker="o", label=name)
left.set(xscale="log", yscale="log", xlabel="atoms (Ewald below 1,000, PME above)", ylabel="CPU ms per atom (energy + implicit forces)")
right.set(xscale="log", xlabel="atoms", ylabel="peak resident memory (GB)")
right.axhline(8, color="grey", linestyle=":", label="8 GB target at 10k")
for axis in (left, right):
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
fig.suptitle("Fixed-point model, periodic water-like boxes, 32 channels, Anderson SCF (2-core VM under load)", fontsize=9)
fig.tight_layout()
fig.savefig(os.path.join(here, "fixedpoint-scaling.png"), dpi=110)
