#!/usr/bin/env python3
"""Labels the QM benchmark structures with GFN2-xTB and writes data/benchmarks/<system>/{train,valid,test}.xyz.

Systems (the charge-transfer benchmarks of Ko et al., 4G-HDNNP, Nat. Commun. 12, 398 (2021); here labelled with
GFN2-xTB, not DFT):
  ag3    random Ag3 triangles, each geometry at charge +1 and -1 (config_type Ag3+ / Ag3-)
  c10h2  the linear polyyne H-(C#C)5-H (C10H2) and its cation protonated at one end (C10H3+), each sampled thermally
         (classical harmonic vibrations at 300 K around its GFN2-xTB minimum)
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
from ase.calculators.calculator import Calculator, all_changes
from ase.io import write
from ase.optimize import BFGS

HARTREE_EV = 27.211386245988  # CODATA 2018
BOHR_ANGSTROM = 0.529177210903  # CODATA 2018

# name: (seed, geometries in train, valid, test); every geometry gives two frames (both charge states).
SYSTEMS = {
    "ag3": (12, 120, 20, 40),
    "c10h2": (16, 80, 15, 30),  # version 1 (rattled, seed 13) is described in docs/accuracy.md
    "nacl": (14, 60, 10, 20),
}


def ag3_geometries(rng, count, xtb=None):
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


def ag3_near_equilateral(rng, count, xtb=None):
    """Near-equilateral triangles: a mean side drawn uniformly in 2.45-3.4 A and each side within 0.15 A of it (kept if
    every side is in 2.45-3.4 A), centred at the origin, randomly oriented; both charges as in ag3_geometries. The
    sampler of ag3_geometries rarely draws them with long sides (docs/accuracy.md), where Ag3- has its small-gap
    (Jahn-Teller) region."""
    out = []
    while len(out) < count:
        mean = rng.uniform(2.45, 3.4)
        a, b, c = mean + rng.uniform(-0.15, 0.15, 3)
        if not all(2.45 <= s <= 3.4 for s in (a, b, c)):
            continue
        x = (a * a + b * b - c * c) / (2 * a)
        p = np.array([[0, 0, 0], [a, 0, 0], [x, np.sqrt(b * b - x * x), 0]])  # |p2| = b, |p2 - p1| = c
        p = p - p.mean(0)
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        out.append(p @ q.T)
    return [(("Ag3+", Atoms("Ag3", positions=p), 1), ("Ag3-", Atoms("Ag3", positions=p), -1)) for p in out]


def c10h2_geometries(rng, count, xtb="xtb"):
    """Thermal samples (classical harmonic, 300 K) of the linear polyyne H-(C#C)5-H and of its cation protonated at one
    end (CH2 group), each around its own GFN2-xTB minimum (c10h2_minimum, normal_modes); pair i is neutral sample i and
    cation sample i (the same split, not the same geometry)."""
    species = []
    for symbols, positions, charge in c10h2_starting_geometries():
        minimum = c10h2_minimum(Atoms(symbols, positions=positions), charge, xtb)
        species.append((minimum, *normal_modes(minimum, charge, xtb)))
    out = []
    for _ in range(count):
        (neutral, cation) = [thermal_sample(rng, *s) for s in species]
        out.append((("C10H2", neutral, 0), ("C10H3+", cation, 1)))
    return out


def c10h2_starting_geometries():
    """H-(C#C)5-H along z (C#C 1.21, C-C 1.36, C-H 1.06 A) and the cation with a CH2 group at the z < 0 end (C-H 1.09 A,
    H-C-H 116 degrees), as (symbols, positions, charge); the chain bent by 0.05 A in y, so the optimiser does not stay on
    the symmetric saddle point of the cation (measured: a negative bending eigenvalue there)."""
    bonds = [1.06] + [1.21, 1.36] * 4 + [1.21, 1.06]
    z = np.concatenate([[0.0], np.cumsum(bonds)])
    chain = np.zeros((12, 3))
    chain[:, 2] = z - z.mean()
    chain[:, 1] = 0.05 * np.sin(np.pi * z / z[-1])
    half = np.radians(58)
    h = [chain[1] + 1.09 * np.array([s * np.sin(half), 0, -np.cos(half)]) for s in (1, -1)]
    return [("HC10H", chain, 0), ("H2C10H", np.vstack([h, chain[1:]]), 1)]


class Xtb(Calculator):
    """GFN2-xTB energy and forces through run_xtb, for ASE's optimizer."""
    implemented_properties = ["energy", "forces"]

    def __init__(self, charge, xtb):
        super().__init__()
        self.charge, self.xtb = charge, xtb

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        labels = run_xtb(self.atoms, self.charge, self.xtb)
        self.results = {"energy": labels["energy"], "forces": np.array(labels["forces"])}


def c10h2_minimum(atoms, charge, xtb):
    """The GFN2-xTB minimum near `atoms` (ASE BFGS to 1 meV/A)."""
    atoms = atoms.copy()
    atoms.calc = Xtb(charge, xtb)
    BFGS(atoms, logfile=None).run(fmax=0.001, steps=500)
    atoms.calc = None
    return atoms


def normal_modes(atoms, charge, xtb, step=0.005):
    """(squared angular frequencies in eV/(A^2 amu), mass-weighted normal modes as columns) of the vibrations of `atoms`:
    the Hessian by central differences of the xtb forces (step in A), mass-weighted, restricted to the complement of the
    translations and rotations (5 modes of a linear molecule, 6 otherwise), diagonalised. Fails on a saddle point."""
    x0 = atoms.get_positions().ravel()
    n = len(x0)
    hessian = np.zeros((n, n))
    for i in range(n):
        forces = []
        for sign in (1, -1):
            x = x0.copy()
            x[i] += sign * step
            forces.append(np.array(run_xtb(Atoms(atoms.get_chemical_symbols(), positions=x.reshape(-1, 3)), charge, xtb)["forces"]).ravel())
        hessian[i] = -(forces[0] - forces[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    sqrt_m = np.sqrt(np.repeat(atoms.get_masses(), 3))
    weighted = hessian / np.outer(sqrt_m, sqrt_m)
    centred = atoms.get_positions() - atoms.get_center_of_mass()
    rigid = [np.tile(np.eye(3)[k], len(atoms)) for k in range(3)] + [np.cross(np.eye(3)[k], centred).ravel() for k in range(3)]
    u, s, _ = np.linalg.svd(np.array(rigid).T * sqrt_m[:, None], full_matrices=True)
    internal = u[:, int((s > 1e-3 * s.max()).sum()):]  # orthonormal complement of the translations and rotations
    eigenvalues, vectors = np.linalg.eigh(internal.T @ weighted @ internal)
    if eigenvalues.min() <= 0:
        raise RuntimeError(f"{atoms.get_chemical_formula()} charge {charge}: the xtb minimum has a Hessian eigenvalue "
                           f"{eigenvalues.min():.3g} eV/(A^2 amu) <= 0 (a saddle point)")
    return eigenvalues, internal @ vectors


BOLTZMANN_EV = 8.617333262e-5  # eV/K, CODATA 2018
TEMPERATURE = 300.0


def thermal_sample(rng, minimum, eigenvalues, modes):
    """A classical Boltzmann sample at TEMPERATURE of the harmonic vibrations around `minimum`: each mass-weighted mode
    amplitude normal with variance kT / omega^2."""
    amplitudes = rng.normal(size=len(eigenvalues)) * np.sqrt(BOLTZMANN_EV * TEMPERATURE / eigenvalues)
    sqrt_m = np.sqrt(np.repeat(minimum.get_masses(), 3))
    displacement = (modes @ amplitudes / sqrt_m).reshape(-1, 3)
    return Atoms(minimum.get_chemical_symbols(), positions=minimum.get_positions() + displacement)


def nacl_geometries(rng, count, xtb=None):
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


# Samplers: (rng, count, xtb program) -> pairs of (config_type, Atoms, charge); only the thermal one runs xtb itself.
GEOMETRIES = {"ag3": ag3_geometries, "c10h2": c10h2_geometries, "nacl": nacl_geometries}
# Geometries left out without running xtb, per (system, seed): Ag3's whose SCC fails at xtb's default electronic
# temperature of 300 K (the shipped data), so that every split keeps the same geometries at a higher --etemp, where they
# may converge.
LEFT_OUT = {("ag3", 12): [17, 22, 25, 179], ("ag3", 17): [7, 13, 39]}
# Extra training geometries, appended to a system's train.xyz after those drawn from its SYSTEMS seed (so the first
# frames of train.xyz and the valid and test sets stay as they were): name: (sampler, seed, geometries).
EXTRA_TRAINING = {"ag3": (ag3_near_equilateral, 17, 40)}


def run_xtb(atoms, charge, xtb, etemp=300):
    """Runs GFN2-xTB (electronic temperature etemp, K) on the structure in a temporary folder; returns the labels in eV, A,
    e."""
    with tempfile.TemporaryDirectory() as folder:
        write(os.path.join(folder, "input.xyz"), atoms, format="xyz")
        command = [xtb, "input.xyz", "--gfn", "2", "--chrg", str(charge), "--uhf", "0", "--grad", "--json",
                   "--acc", "0.1", "--iterations", "300", "--etemp", str(etemp)]
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


def label(system, seed, counts, xtb, out_dir, etemp=300):
    """Draws geometries from the seeded generator in order; a geometry whose xtb SCC fails at either charge is left out
    (its index is skipped, so benchmark_geometry shows the gaps) and the next one is taken. The EXTRA_TRAINING geometries
    of the system (their own sampler and seed, numbered from 0) are appended to train.xyz."""
    candidates = iter(GEOMETRIES[system](np.random.default_rng(seed), 3 * sum(counts), xtb))
    os.makedirs(out_dir, exist_ok=True)
    state = {"index": -1, "skipped": []}
    splits = {split: labelled_frames(system, seed, candidates, count, xtb, state, etemp)
              for split, count in zip(["train", "valid", "test"], counts)}
    print(f"{system}: geometries {state['skipped']} left out (xtb SCC not converged)", flush=True)
    if system in EXTRA_TRAINING:
        sampler, extra_seed, count = EXTRA_TRAINING[system]
        extra = {"index": -1, "skipped": []}
        extra_candidates = iter(sampler(np.random.default_rng(extra_seed), 3 * count, xtb))
        splits["train"] += labelled_frames(system, extra_seed, extra_candidates, count, xtb, extra, etemp)
        print(f"{system}: {count} extra training geometries ({sampler.__name__}, seed {extra_seed}); "
              f"geometries {extra['skipped']} left out", flush=True)
    for split, frames in splits.items():
        path = os.path.join(out_dir, f"{split}.xyz")
        write(path + ".tmp", frames, format="extxyz")
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(frames)} frames", flush=True)


def labelled_frames(system, seed, candidates, count, xtb, state, etemp):
    """The labelled frames of the next `count` geometries of `candidates` whose xtb SCC converges at every charge (both
    charges of a geometry together), at xtb's electronic temperature etemp (K); state carries the running geometry index
    and the skipped indices."""
    method = "GFN2-xTB" if etemp == 300 else f"GFN2-xTB, electronic temperature {etemp} K"
    frames = []
    while len(frames) < 2 * count:
        state["index"] += 1
        index = state["index"]
        pair = next(candidates)
        if index in LEFT_OUT.get((system, seed), ()):
            state["skipped"].append(index)
            continue
        try:
            labelled = [(config_type, atoms, charge, run_xtb(atoms, charge, xtb, etemp)) for config_type, atoms, charge in pair]
        except ScfFailure:
            state["skipped"].append(index)
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
                "label_method": method, "label_program": f"xtb {labels['xtb_version']}",
            })
            frames.append(a)
    return frames


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", choices=sorted(SYSTEMS), action="append")
    parser.add_argument("--xtb", default="xtb", help="the xtb program (default: xtb on PATH)")
    parser.add_argument("--etemp", type=int, default=300,
                        help="xtb's electronic temperature in K (default 300, xtb's own and the shipped data's; the Ag3 "
                             "labels at 1000 K are measured in docs/accuracy.md)")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="folder of the system folders")
    parser.add_argument("--convert", metavar="DIR", help="print the labels of the xtb run in DIR (xtbout.json, input.engrad) as JSON")
    args = parser.parse_args()
    if args.convert:
        json.dump(convert(args.convert), sys.stdout)
        return
    for system in args.system or sorted(SYSTEMS):
        seed, *counts = SYSTEMS[system]
        label(system, seed, counts, args.xtb, os.path.join(args.out, system), args.etemp)


if __name__ == "__main__":
    main()
