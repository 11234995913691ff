#!/usr/bin/env python3
"""Charge of each fragment (Na4, K4) in a file written by `macescf eval`: reference vs prediction.

usage: python3 fragment-charges.py runs/test_predictions.xyz [more files]
Reads the extxyz columns atomic_multipoles (reference) and macescf_density_coefficients (prediction);
the charge is the first coefficient. Prints, per file, the RMSE of the Na4 fragment charge, the RMSE of
the charge transferred between the fragments, (Q_Na4 - Q_K4)/2, and the spread (standard deviation) of
the reference transfer over the frames. Standard library only.
"""
import math
import re
import sys


def frames(path):
    with open(path) as f:
        while True:
            line = f.readline()
            if not line.strip():
                return
            n = int(line)
            header = f.readline()
            spec = re.search(r"Properties=(\S+)", header).group(1).split(":")
            columns, start = {}, 0
            for name, _, width in zip(spec[0::3], spec[1::3], spec[2::3]):
                columns[name] = start
                start += int(width)
            rows = [f.readline().split() for _ in range(n)]
            yield [(r[columns["species"]], float(r[columns["atomic_multipoles"]]),
                    float(r[columns["macescf_density_coefficients"]])) for r in rows]


def rmse(values):
    return math.sqrt(sum(v * v for v in values) / len(values))


for path in sys.argv[1:]:
    na_err, transfer_err, transfer_ref = [], [], []
    for atoms in frames(path):
        ref = {s: sum(q for e, q, _ in atoms if e == s) for s in ("Na", "K")}
        pred = {s: sum(p for e, _, p in atoms if e == s) for s in ("Na", "K")}
        na_err.append(pred["Na"] - ref["Na"])
        transfer_ref.append((ref["Na"] - ref["K"]) / 2)
        transfer_err.append((pred["Na"] - pred["K"]) / 2 - transfer_ref[-1])
    mean = sum(transfer_ref) / len(transfer_ref)
    spread = rmse([t - mean for t in transfer_ref])
    print(f"{path}: {len(na_err)} frames; Q(Na4) RMSE {rmse(na_err):.4f} e; "
          f"transfer RMSE {rmse(transfer_err):.4f} e (reference transfer {mean:.4f} ± {spread:.4f} e)")
