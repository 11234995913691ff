"""ASE side of the i-PI driver test (AseIpiTests.cs).

  ase_ipi.py NAME INIT.xyz OUT.json STEPS

Opens ASE's SocketIOCalculator (the i-PI server) on the UNIX socket /tmp/ipi_NAME and prints "listening"; once
`macescf ipi` has connected, computes two single points (the first frame of INIT.xyz and a rattled copy) and STEPS
VelocityVerlet steps of 0.5 fs started at 300 K. Writes to OUT.json the single points (positions, cell, energy, forces and,
for a periodic structure, stress, as ASE received them) and the total energy after every MD step. Leaving the `with`
block closes the server, which ends the driver.
"""
import json
import sys

import numpy as np
import ase.io
from ase import units
from ase.calculators.socketio import SocketIOCalculator
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet


def single_point(atoms):
    point = {
        "positions": atoms.positions.tolist(),
        "cell": atoms.cell.array.tolist(),
        "energy": atoms.get_potential_energy(),
        "forces": atoms.get_forces().tolist(),
    }
    if atoms.pbc.any():
        point["stress"] = atoms.get_stress(voigt=False).tolist()
    return point


def main(name, init, out, steps):
    atoms = ase.io.read(init, index=0, format="extxyz")
    with SocketIOCalculator(unixsocket=name, timeout=60) as calc:
        print("listening", flush=True)
        atoms.calc = calc
        points = [single_point(atoms)]
        atoms.rattle(stdev=0.02, seed=3)
        points.append(single_point(atoms))
        MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(5))
        dynamics = VelocityVerlet(atoms, timestep=0.5 * units.fs)
        energies = [atoms.get_total_energy()]
        dynamics.attach(lambda: energies.append(atoms.get_total_energy()), interval=1)
        dynamics.run(steps)
    with open(out, "w") as stream:
        json.dump({"points": points, "total_energies": energies}, stream)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
