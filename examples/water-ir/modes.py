"""Harmonic frequencies of the model at the relaxed cluster, for assigning the MD peaks (see README.md).

  /usr/bin/python3 modes.py SOCKET START.xyz

Same server set-up as md.py: relaxes START.xyz as md.py does (BFGS, fmax 0.02 eV/Å), then ASE's Vibrations
(central differences of the driver's forces, 0.01 Å) and prints the wavenumbers of the 3N - 6 internal modes.
"""
import sys

import ase.io
from ase.calculators.socketio import SocketIOCalculator
from ase.optimize import BFGS
from ase.vibrations import Vibrations


def main(socket, start):
    atoms = ase.io.read(start, index=0, format="extxyz")
    with SocketIOCalculator(unixsocket=socket, timeout=120) as calc:
        print("listening", flush=True)
        atoms.calc = calc
        BFGS(atoms, logfile=None).run(fmax=0.02, steps=300)
        vibrations = Vibrations(atoms, delta=0.01, nfree=2, name=f"modes-{socket}")
        vibrations.clean()
        vibrations.run()
        frequencies = vibrations.get_frequencies()  # cm-1, ascending in ω²; imaginary ones as complex
        vibrations.clean()
    shown = [f"{f.real:.0f}" if abs(f.imag) < 1e-9 else f"{f.imag:.0f}i" for f in frequencies]
    print("translations and rotations (ideally 0):", " ".join(shown[:6]))
    print("internal modes (cm-1):", " ".join(shown[6:]))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
