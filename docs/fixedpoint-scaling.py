"""Draws docs/fixedpoint-scaling.png from docs/fixedpoint-scaling.csv (docs/benchmarks.md, "Whole fixed-point model").

  /usr/bin/python3 docs/fixedpoint-scaling.py

The CSV holds one row per `bench fixedpoint-scaling` run: atoms, k-space method, SCF updates, wall seconds, process CPU seconds
(both threads), peak GB, load, and whether the backbone's symmetric contractions ran whole (library of a88e148) or in node blocks
(`--edge-chunk`, since issue 14's node blocks).
"""
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "fixedpoint-scaling.csv")) as stream:
    rows = list(csv.DictReader(stream))

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
for contractions, style in (("whole", ":"), ("node blocks", "-")):
    for method, marker in (("ewald", "o"), ("pme", "s")):
        points = sorted((int(r["atoms"]), float(r["seconds"]), float(r["cpu_seconds"]), float(r["peak_gb"]))
                        for r in rows if r["kspace_method"] == method and r["contractions"] == contractions)
        if not points:
            continue
        atoms = [p[0] for p in points]
        label = f"{method}, {contractions}"
        left.plot(atoms, [1e3 * p[2] / p[0] for p in points], marker=marker, linestyle=style, label=f"{label}, CPU")
        right.plot(atoms, [p[3] for p in points], marker=marker, linestyle=style, label=label)
left.set(xscale="log", yscale="log", xlabel="atoms", ylabel="CPU ms per atom (energy + implicit forces)")
right.set(xscale="log", xlabel="atoms", ylabel="peak resident memory (GB)")
right.axhline(8, color="grey", linestyle=":", label="8 GB target at 10k")
for axis in (left, right):
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
fig.suptitle("Fixed-point model, periodic H2O-like crystal, 32 channels, Anderson SCF (2-core VM under load)", fontsize=9)
fig.tight_layout()
fig.savefig(os.path.join(here, "fixedpoint-scaling.png"), dpi=110)
