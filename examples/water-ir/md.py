"""ASE side of the IR example: MD of a water cluster whose forces come from `macescf ipi` over a UNIX socket.

  /usr/bin/python3 md.py SOCKET START.xyz OUT.xyz [EQUILIBRATION_STEPS PRODUCTION_STEPS]

Opens ASE's SocketIOCalculator (the i-PI server) on /tmp/ipi_SOCKET and prints "listening"; start
`macescf ipi MODEL --init START.xyz --unix SOCKET` then. Relaxes the cluster (BFGS, fmax 0.02 eV/Å), equilibrates it
at 300 K with a Langevin thermostat (friction 0.02 /fs), then runs microcanonical velocity Verlet (no thermostat, so the
line shapes are not broadened by it) and writes every production frame (positions, ASE's energies) to OUT.xyz.
Timestep 0.5 fs throughout; seeded, so a rerun gives the same trajectory up to the last bits of the forces.
"""
import sys

import numpy as np
import ase.io
from ase import Atoms, units
from ase.calculators.socketio import SocketIOCalculator
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary, ZeroRotation
from ase.md.verlet import VelocityVerlet
from ase.optimize import BFGS

TIMESTEP_FS = 0.5
TEMPERATURE_K = 300


def main(socket, start, out, equilibration=1000, production=4000):
    atoms = ase.io.read(start, index=0, format="extxyz")
    frames, energies = [], []
    with SocketIOCalculator(unixsocket=socket, timeout=120) as calc:
        print("listening", flush=True)
        atoms.calc = calc
        BFGS(atoms, logfile="relax.log").run(fmax=0.02, steps=300)
        rng = np.random.default_rng(7)
        MaxwellBoltzmannDistribution(atoms, temperature_K=TEMPERATURE_K, rng=rng)
        Stationary(atoms)
        ZeroRotation(atoms)
        Langevin(atoms, TIMESTEP_FS * units.fs, temperature_K=TEMPERATURE_K, friction=0.02, rng=rng,
                 logfile="equilibration.log", loginterval=100).run(equilibration)

        def record():
            # Positions only: the start frame's teacher labels would otherwise be copied into every frame.
            frame = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc, info={"step": len(frames)})
            frames.append(frame)
            energies.append((atoms.get_potential_energy(), atoms.get_kinetic_energy()))

        dynamics = VelocityVerlet(atoms, TIMESTEP_FS * units.fs, logfile="production.log", loginterval=100)
        dynamics.attach(record, interval=1)
        dynamics.run(production)
    ase.io.write(out, frames, format="extxyz")
    total = np.array([e + k for e, k in energies])
    kinetic = np.array([k for _, k in energies])
    temperature = 2 * kinetic / (3 * len(atoms) * units.kB)
    print(f"production: {len(frames)} frames of {TIMESTEP_FS} fs; mean temperature {temperature.mean():.1f} K; "
          f"total energy drift {total[-1] - total[0]:+.2e} eV, std {total.std():.2e} eV")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], *[int(a) for a in sys.argv[4:6]])
