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
  python3 data/benchmarks/generate.py --lowest DIR... # the same for the lowest-energy run of several (lowest_scc's choice)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

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
# Restarts per frame of the lowest-SCC-solution scan (lowest_scc; --scc-restarts): the k nearest frames of the same charge.
# Ag3-: near D3h xtb's default guess reaches a higher SCC solution on some geometries (docs/accuracy.md).
SCC_RESTARTS = {"ag3": 8}


def run_xtb(atoms, charge, xtb, etemp=300, restart=None):
    """Runs GFN2-xTB (electronic temperature etemp, K) on the structure in a temporary folder; returns the labels in eV, A,
    e, and the converged density as xtb's restart file (bytes, "restart"). With `restart` (the bytes of another run's
    xtbrestart, same atoms) the SCC starts from that density instead of xtb's default guess."""
    with tempfile.TemporaryDirectory() as folder:
        write(os.path.join(folder, "input.xyz"), atoms, format="xyz")
        if restart is not None:
            with open(os.path.join(folder, "xtbrestart"), "wb") as f:
                f.write(restart)
        command = [xtb, "input.xyz", "--gfn", "2", "--chrg", str(charge), "--uhf", "0", "--grad", "--json",
                   "--acc", "0.1", "--iterations", "300", "--etemp", str(etemp)]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                env={**os.environ, "OMP_NUM_THREADS": "1", "OMP_STACKSIZE": "200M"})
        if any(m in result.stdout + result.stderr for m in SCF_FAILURES):
            raise ScfFailure(f"{atoms.get_chemical_formula()} charge {charge}")
        if result.returncode != 0 or "normal termination" not in result.stderr + result.stdout:
            raise RuntimeError(f"xtb failed ({result.returncode}) for {atoms.get_chemical_formula()} "
                               f"charge {charge}:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
        if restart is not None and "q/qsh data taken from xtbrestart" not in result.stdout:
            raise RuntimeError(f"xtb did not read the restart density for {atoms.get_chemical_formula()} charge {charge}")
        labels = convert(folder)
        labels["xtb_version"] = json.load(open(os.path.join(folder, "xtbout.json")))["xtb version"]
        with open(os.path.join(folder, "xtbrestart"), "rb") as f:
            labels["restart"] = f.read()
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


# xtb's messages of an SCC that did not converge: out of iterations, or (seen on restarts from another geometry's density,
# never from the default guess) a singular Broyden mixing matrix after the SCC diverged.
SCF_FAILURES = ["Self consistent charge iterator did not converge", "Error in Broyden matrix inversion"]


class ScfFailure(RuntimeError):
    """xtb's SCC did not converge (small-gap geometries, e.g. some Ag3- triangles)."""


def label(system, seed, counts, xtb, out_dir, etemp=300, restarts=0, jobs=1):
    """Draws geometries from the seeded generator in order; a geometry whose xtb SCC fails at either charge is left out
    (its index is skipped, so benchmark_geometry shows the gaps) and the next one is taken. The EXTRA_TRAINING geometries
    of the system (their own sampler and seed, numbered from 0) are appended to train.xyz. With restarts = k > 0 every
    frame is then relabelled with the lowest SCC solution found (lowest_scc)."""
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
    if restarts > 0:
        lowest_scc([frame for frames in splits.values() for frame in frames], restarts, xtb, etemp, jobs)
        print(moved_report(system, splits), flush=True)
    for split, frames in splits.items():
        path = os.path.join(out_dir, f"{split}.xyz")
        write(path + ".tmp", [atoms for atoms, _ in frames], format="extxyz")
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(frames)} frames", flush=True)


def labelled_frames(system, seed, candidates, count, xtb, state, etemp):
    """The labelled frames, as (Atoms, xtb restart file), of the next `count` geometries of `candidates` whose xtb SCC
    converges at every charge from xtb's default guess (both charges of a geometry together), at xtb's electronic
    temperature etemp (K); state carries the running geometry index and the skipped indices."""
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
            a = atoms.copy()
            a.info.update({  # energy and dipole: set_labels (this order of the keys is the order in the files)
                "config_type": config_type, "energy": None, "total_charge": float(charge), "dipole": None,
                "config_dipole_weight": np.ones(3),
                "benchmark_system": system, "benchmark_seed": seed, "benchmark_geometry": index,
                "label_method": method, "label_program": f"xtb {labels['xtb_version']}",
            })
            set_labels(a, labels)
            frames.append([a, labels["restart"]])
    return frames


def set_labels(atoms, labels):
    """Writes xtb's labels (run_xtb) into the frame: energy, forces, atomic multipoles, molecular dipole."""
    charge = atoms.info["total_charge"]
    if abs(labels["total_charge_of_charges"] - charge) > 1e-4:
        raise RuntimeError(f"{atoms.info['benchmark_system']} geometry {atoms.info['benchmark_geometry']} (seed "
                           f"{atoms.info['benchmark_seed']}): xtb charges sum to {labels['total_charge_of_charges']}, not {charge}")
    atoms.arrays["forces"] = np.array(labels["forces"])
    atoms.arrays["atomic_multipoles"] = np.array(labels["atomic_multipoles"])
    atoms.info["energy"] = labels["energy"]
    atoms.info["dipole"] = np.array(labels["dipole"])


# A restart replaces a label only if its SCC solution is lower by more than this (eV per frame): restarts that reach the
# same solution differ by xtb's SCC tolerance (--acc 0.1: 1e-7 Eh = 3e-6 eV).
SCC_SOLUTION_RESOLUTION = 1e-4


def sorted_distances(atoms):
    """The sorted interatomic distances (A): a key of the geometry invariant to rotations, translations and permutations."""
    return np.sort(atoms.get_all_distances()[np.triu_indices(len(atoms), 1)])


def nearest(frames, k):
    """For each frame, the indices of its k nearest frames of the same config_type (same atoms and charge), by the Euclidean
    distance of sorted_distances; ties broken by index."""
    groups = {}
    for i, (atoms, _) in enumerate(frames):
        groups.setdefault(atoms.info["config_type"], []).append(i)
    out = {}
    for members in groups.values():
        keys = np.array([sorted_distances(frames[i][0]) for i in members])
        for row, i in enumerate(members):
            distance = np.linalg.norm(keys - keys[row], axis=1)
            distance[row] = np.inf
            out[i] = [members[j] for j in np.argsort(distance, kind="stable")[:min(k, len(members) - 1)]]
    return out


def lowest(current, candidates, resolution=SCC_SOLUTION_RESOLUTION):
    """The lowest-energy candidate (labels, start) that lies more than `resolution` eV below `current` (an energy, eV) and
    below every candidate before it by as much, or None; candidates whose SCC did not converge are None and skipped."""
    best, energy = None, current
    for candidate in candidates:
        if candidate is not None and candidate[0]["energy"] < energy - resolution:
            best, energy = candidate, candidate[0]["energy"]
    return best


def lowest_scc(frames, k, xtb, etemp, jobs=1):
    """Relabels each frame [Atoms, xtb restart file] (in place) with the lowest SCC solution that xtb reaches, with the same
    settings, from its default guess (the labels the frames carry) or from the converged density of one of its k nearest
    frames of the same config_type (nearest): near degeneracies (Ag3- near D3h) xtb's default guess converges to a higher
    solution for some geometries (docs/accuracy.md). Repeated in passes until no label moves, each pass restarting from
    the densities that moved in the pass before (the first: every frame's); forces, charges and dipoles are those of the
    winning run. Records info scc_start ("default guess" or the geometry whose density won) and
    scc_default_guess_energy (eV). Deterministic: the candidates of a frame are compared in the order of nearest."""
    for atoms, _ in frames:
        atoms.info["scc_default_guess_energy"] = atoms.info["energy"]
        atoms.info["scc_start"] = "default guess"
    neighbours = nearest(frames, k)

    def attempt(task):
        i, j, restart = task
        atoms = frames[i][0]
        try:
            labels = run_xtb(Atoms(atoms.get_chemical_symbols(), positions=atoms.get_positions()),
                             int(round(atoms.info["total_charge"])), xtb, etemp, restart)
        except ScfFailure:
            return None
        return labels, j

    changed, passes = set(range(len(frames))), 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while changed:
            passes += 1
            tasks = [(i, j, frames[j][1]) for i in range(len(frames)) for j in neighbours[i] if j in changed]
            results = list(pool.map(attempt, tasks))
            by_frame = {}
            for (i, _, _), result in zip(tasks, results):
                by_frame.setdefault(i, []).append(result)
            changed = set()
            for i, candidates in sorted(by_frame.items()):
                best = lowest(frames[i][0].info["energy"], candidates)
                if best is not None:
                    labels, j = best
                    atoms, source = frames[i][0], frames[j][0].info
                    set_labels(atoms, labels)
                    atoms.info["scc_start"] = (f"xtbrestart of geometry {source['benchmark_geometry']} seed "
                                               f"{source['benchmark_seed']} {source['config_type']}")
                    frames[i][1] = labels["restart"]
                    changed.add(i)
            print(f"lowest SCC solution, pass {passes}: {len(tasks)} restarts ({results.count(None)} without a converged "
                  f"SCC), {len(changed)} labels moved", flush=True)


def moved_report(system, splits):
    """Per split and config_type: how many labels lowest_scc lowered, by how much (meV/atom: max, then each moved frame's
    index in its file and drop, largest first)."""
    lines = [f"{system}: labels moved to a lower SCC solution (meV/atom)"]
    for split, frames in splits.items():
        for config_type in sorted({atoms.info["config_type"] for atoms, _ in frames}):
            rows = [(i, atoms) for i, (atoms, _) in enumerate(frames) if atoms.info["config_type"] == config_type]
            moved = sorted(((a.info["scc_default_guess_energy"] - a.info["energy"]) * 1000 / len(a), i)
                           for i, a in rows if a.info["scc_start"] != "default guess")[::-1]
            detail = ", ".join(f"frame {i}: {d:.1f}" for d, i in moved)
            lines.append(f"  {split:5} {config_type:8} {len(moved)}/{len(rows)} moved" +
                         (f"; max {moved[0][0]:.1f}; {detail}" if moved else ""))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--system", choices=sorted(SYSTEMS), action="append")
    parser.add_argument("--xtb", default="xtb", help="the xtb program (default: xtb on PATH)")
    parser.add_argument("--etemp", type=int, default=300,
                        help="xtb's electronic temperature in K (default 300, xtb's own and the shipped data's; the Ag3 "
                             "labels at 1000 K are measured in docs/accuracy.md)")
    parser.add_argument("--scc-restarts", type=int, metavar="K",
                        help="label each frame with the lowest SCC solution of xtb's default guess and restarts from the "
                             "converged densities of its K nearest frames of the same charge (0: the default guess only; "
                             "default: SCC_RESTARTS, 8 for ag3, 0 otherwise)")
    parser.add_argument("--jobs", type=int, default=1, help="xtb runs at a time in the SCC restart scan (default 1)")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="folder of the system folders")
    parser.add_argument("--convert", metavar="DIR", help="print the labels of the xtb run in DIR (xtbout.json, input.engrad) as JSON")
    parser.add_argument("--lowest", metavar="DIR", nargs="+",
                        help="print, as JSON, the labels of the finished xtb run that lowest_scc keeps among the runs in "
                             "DIR... (the first: the default guess; the others: restarts, in order) with its position "
                             "(\"start\", 0 for the first)")
    args = parser.parse_args()
    if args.convert:
        json.dump(convert(args.convert), sys.stdout)
        return
    if args.lowest:
        runs = [convert(folder) for folder in args.lowest]
        labels, start = lowest(runs[0]["energy"], [(run, i) for i, run in enumerate(runs) if i > 0]) or (runs[0], 0)
        json.dump({**labels, "start": start}, sys.stdout)
        return
    for system in args.system or sorted(SYSTEMS):
        seed, *counts = SYSTEMS[system]
        restarts = SCC_RESTARTS.get(system, 0) if args.scc_restarts is None else args.scc_restarts
        label(system, seed, counts, args.xtb, os.path.join(args.out, system), args.etemp, restarts, args.jobs)


if __name__ == "__main__":
    main()
