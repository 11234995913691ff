#!/usr/bin/env python3
"""Labels the QM benchmark structures with GFN2-xTB and writes data/benchmarks/<system>/{train,valid,test}.xyz.

Systems (the charge-transfer benchmarks of Ko et al., 4G-HDNNP, Nat. Commun. 12, 398 (2021); here labelled with
GFN2-xTB, not DFT):
  ag3    random Ag3 triangles, each geometry at charge +1 and -1 (config_type Ag3+ / Ag3-)
  c10h2  rattled linear polyyne H-(C#C)5-H (C10H2) and the same chain with a proton added at one end (C10H3+)
  nacl   rattled rock-salt fragments Na9Cl8+ (3x3x2 block without one Cl) and the same geometry without one Na (Na8Cl8)

Every geometry keeps its charge partners in the same split. Labels (docs/accuracy.md):
  energy (eV), forces (eV/A), atomic_multipoles [q, p_y, p_z, p_x] (e, e*A), total_charge (e), dipole (e*A,
  P = sum q r + sum d about the coordinate origin, as xtb prints it), config_dipole_weight.
Units: xtb writes Hartree, Bohr, e*Bohr; converted with CODATA 2018 constants below.

Needs the xtb program (Debian: `sudo apt-get install xtb`; GFN2-xTB 6.5.1 was used) and Python 3 with ASE and numpy
(`sudo apt-get install python3-ase`).

  python3 data/benchmarks/generate.py                 # every system, the shipped counts and seeds
  python3 data/benchmarks/generate.py --system ag3
  python3 data/benchmarks/generate.py --convert DIR   # print the labels of a finished xtb run in DIR as JSON
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from ase import Atoms
from ase.io import write

HARTREE_EV = 27.211386245988  # CODATA 2018
BOHR_ANGSTROM = 0.529177210903  # CODATA 2018

# name: (seed, geometries in train, valid, test); every geometry gives two frames (both charge states).
SYSTEMS = {
    "ag3": (12, 120, 20, 40),
    "c10h2": (13, 80, 15, 30),
    "nacl": (14, 60, 10, 20),
}


def ag3_geometries(rng, count):
    """Triangles with sides 2.45-3.4 A (every angle above 35 degrees), centred at the origin."""
    out = []
    while len(out) < count:
        a, b = rng.uniform(2.45, 3.4, 2)
        angle = rng.uniform(np.radians(35), np.radians(180))
        p = np.array([[0, 0, 0], [a, 0, 0], [b * np.cos(angle), b * np.sin(angle), 0]])
        c = np.linalg.norm(p[1] - p[2])
        if not 2.45 <= c <= 3.4:
            continue
        sides = [a, b, c]
        cosines = [(sides[i] ** 2 + sides[j] ** 2 - sides[k] ** 2) / (2 * sides[i] * sides[j])
                   for i, j, k in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]]
        if max(cosines) > np.cos(np.radians(35)):
            continue
        p = p - p.mean(0)
        # A random orientation.
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        out.append(p @ q.T)
    return [(("Ag3+", Atoms("Ag3", positions=p), 1), ("Ag3-", Atoms("Ag3", positions=p), -1)) for p in out]


def c10h2_geometries(rng, count):
    """H-(C#C)5-H along z (C#C 1.21, C-C 1.36, C-H 1.06 A), rattled by 0.06 A and bent by up to 0.3 A; the cation adds
    a proton at the z < 0 end (CH2 group, H-C-H 116 degrees)."""
    bonds = [1.06] + [1.21, 1.36] * 4 + [1.21, 1.06]
    z = np.concatenate([[0.0], np.cumsum(bonds)])
    z = z - z.mean()
    out = []
    for _ in range(count):
        chain = np.zeros((12, 3))
        chain[:, 2] = z
        # A smooth bend: a random sine arc perpendicular to the axis.
        amplitude = rng.uniform(0, 0.3, 2)
        phase = np.sin(np.pi * (z - z[0]) / (z[-1] - z[0]))
        chain[:, 0] += amplitude[0] * phase
        chain[:, 1] += amplitude[1] * phase
        chain += rng.normal(scale=0.06, size=chain.shape)
        neutral = Atoms("HC10H", positions=chain)
        # Cation: the first C (index 1) becomes CH2; its H (index 0) and a new H at +-58 degrees off the axis.
        c = chain[1]
        axis = chain[1] - chain[2]
        axis /= np.linalg.norm(axis)
        perpendicular = np.cross(axis, rng.normal(size=3))
        perpendicular /= np.linalg.norm(perpendicular)
        half = np.radians(58)
        h1 = c + 1.09 * (np.cos(half) * axis + np.sin(half) * perpendicular) + rng.normal(scale=0.04, size=3)
        h2 = c + 1.09 * (np.cos(half) * axis - np.sin(half) * perpendicular) + rng.normal(scale=0.04, size=3)
        cation_positions = np.vstack([h1, h2, chain[1:]])
        cation = Atoms("H2C10H", positions=cation_positions)
        out.append((("C10H2", neutral, 0), ("C10H3+", cation, 1)))
    return out


def nacl_geometries(rng, count):
    """A 3x3x2 rock-salt block (Na-Cl 2.75 A) without one Cl (Na9Cl8+), rattled by 0.12 A; Na8Cl8 is the same geometry
    without one corner Na."""
    d = 2.75
    sites = [(i, j, k) for i in range(3) for j in range(3) for k in range(2)]
    symbols = ["Na" if (i + j + k) % 2 == 0 else "Cl" for i, j, k in sites]
    positions = np.array(sites, dtype=float) * d
    # 9 Na and 9 Cl; drop the Cl at an edge of the bottom layer to make Na9Cl8+.
    drop_cl = next(i for i, s in enumerate(symbols) if s == "Cl" and sites[i][2] == 0 and 1 in sites[i][:2])
    missing = positions[drop_cl]
    keep = [i for i in range(len(sites)) if i != drop_cl]
    symbols = [symbols[i] for i in keep]
    positions = positions[keep]
    # The Na removed for Na8Cl8: the corner farthest from the missing Cl.
    corner = max((i for i, s in enumerate(symbols) if s == "Na"), key=lambda i: np.linalg.norm(positions[i] - missing))
    positions = positions - positions.mean(0)
    out = []
    for _ in range(count):
        p = positions + rng.normal(scale=0.12, size=positions.shape)
        cation = Atoms(symbols, positions=p)
        neutral = Atoms([s for i, s in enumerate(symbols) if i != corner], positions=np.delete(p, corner, axis=0))
        out.append((("Na9Cl8+", cation, 1), ("Na8Cl8", neutral, 0)))
    return out


GEOMETRIES = {"ag3": ag3_geometries, "c10h2": c10h2_geometries, "nacl": nacl_geometries}


def run_xtb(atoms, charge, xtb):
    """Runs GFN2-xTB on the structure in a temporary folder; returns the labels in eV, A, e."""
    with tempfile.TemporaryDirectory() as folder:
        write(os.path.join(folder, "input.xyz"), atoms, format="xyz")
        command = [xtb, "input.xyz", "--gfn", "2", "--chrg", str(charge), "--uhf", "0", "--grad", "--json",
                   "--acc", "0.1", "--iterations", "300"]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                env={**os.environ, "OMP_NUM_THREADS": "1", "OMP_STACKSIZE": "200M"})
        if "Self consistent charge iterator did not converge" in result.stdout + result.stderr:
            raise ScfFailure(f"{atoms.get_chemical_formula()} charge {charge}")
        if result.returncode != 0 or "normal termination" not in result.stderr + result.stdout:
            raise RuntimeError(f"xtb failed ({result.returncode}) for {atoms.get_chemical_formula()} "
                               f"charge {charge}:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
        labels = convert(folder)
        labels["xtb_version"] = json.load(open(os.path.join(folder, "xtbout.json")))["xtb version"]
        return labels


def convert(folder):
    """The labels of a finished xtb run (xtbout.json and input.engrad in `folder`), in eV, eV/A, e, e*A."""
    with open(os.path.join(folder, "xtbout.json")) as f:
        out = json.load(f)
    engrad = [line.strip() for line in open(os.path.join(folder, "input.engrad")) if not line.startswith("#")]
    n = int(engrad[0])
    gradient = np.array([float(x) for x in engrad[2:2 + 3 * n]]).reshape(n, 3)  # Eh/bohr
    charges = np.array(out["partial charges"])
    atomic_dipoles = np.array(out["atomic dipole moments"]).reshape(n, 3) * BOHR_ANGSTROM  # e*bohr -> e*A
    return {
        "energy": out["total energy"] * HARTREE_EV,
        "engrad_energy": float(engrad[1]) * HARTREE_EV,
        "forces": (-gradient * HARTREE_EV / BOHR_ANGSTROM).tolist(),
        # [q, p_y, p_z, p_x]: real spherical harmonic order of the l = 1 coefficients (docs/electrostatics.md).
        "atomic_multipoles": np.column_stack([charges, atomic_dipoles[:, 1], atomic_dipoles[:, 2], atomic_dipoles[:, 0]]).tolist(),
        "dipole": (np.array(out["dipole"]) * BOHR_ANGSTROM).tolist(),
        "total_charge_of_charges": float(charges.sum()),
    }


class ScfFailure(RuntimeError):
    """xtb's SCC did not converge (small-gap geometries, e.g. some Ag3- triangles)."""


def label(system, seed, counts, xtb, out_dir):
    """Draws geometries from the seeded generator in order; a geometry whose xtb SCC fails at either charge is left out
    (its index is skipped, so benchmark_geometry shows the gaps) and the next one is taken."""
    rng = np.random.default_rng(seed)
    candidates = iter(GEOMETRIES[system](rng, 3 * sum(counts)))
    os.makedirs(out_dir, exist_ok=True)
    index = -1
    skipped = []
    for split, count in zip(["train", "valid", "test"], counts):
        frames = []
        while len(frames) < 2 * count:
            index += 1
            pair = next(candidates)
            try:
                labelled = [(config_type, atoms, charge, run_xtb(atoms, charge, xtb)) for config_type, atoms, charge in pair]
            except ScfFailure:
                skipped.append(index)
                continue
            for config_type, atoms, charge, labels in labelled:
                if abs(labels["total_charge_of_charges"] - charge) > 1e-4:
                    raise RuntimeError(f"{system} geometry {index}: xtb charges sum to {labels['total_charge_of_charges']}, not {charge}")
                a = atoms.copy()
                a.arrays["forces"] = np.array(labels["forces"])
                a.arrays["atomic_multipoles"] = np.array(labels["atomic_multipoles"])
                a.info.update({
                    "config_type": config_type, "energy": labels["energy"], "total_charge": float(charge),
                    "dipole": np.array(labels["dipole"]), "config_dipole_weight": np.ones(3),
                    "benchmark_system": system, "benchmark_seed": seed, "benchmark_geometry": index,
                    "label_method": "GFN2-xTB", "label_program": f"xtb {labels['xtb_version']}",
                })
                frames.append(a)
        path = os.path.join(out_dir, f"{split}.xyz")
        write(path + ".tmp", frames, format="extxyz")
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(frames)} frames", flush=True)
    print(f"{system}: geometries {skipped} left out (xtb SCC not converged)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", choices=sorted(SYSTEMS), action="append")
    parser.add_argument("--xtb", default="xtb", help="the xtb program (default: xtb on PATH)")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="folder of the system folders")
    parser.add_argument("--convert", metavar="DIR", help="print the labels of the xtb run in DIR (xtbout.json, input.engrad) as JSON")
    args = parser.parse_args()
    if args.convert:
        json.dump(convert(args.convert), sys.stdout)
        return
    for system in args.system or sorted(SYSTEMS):
        seed, *counts = SYSTEMS[system]
        label(system, seed, counts, args.xtb, os.path.join(args.out, system))


if __name__ == "__main__":
    main()
