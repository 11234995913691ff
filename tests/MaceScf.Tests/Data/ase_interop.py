"""ASE side of the extxyz interoperability tests (AseInteropTests.cs).

  ase_interop.py read FILE.xyz OUT.json    what ASE reads from FILE.xyz, as tagged JSON
  ase_interop.py write FILE.xyz            frames built and written by ASE

Tagged values keep their type: {"type": "float"|"int"|"bool"|"str", "shape": [...], "data": [...]}
with the data flattened in row-major order; floats are written by repr, so they survive exactly.
"""
import json
import sys

import numpy as np
import ase.io
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator


def tagged(value):
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind in "US":
        kind = "str"
    elif array.dtype.kind == "b":
        kind = "bool"
    elif array.dtype.kind in "iu":
        kind = "int"
    elif array.dtype.kind == "f":
        kind = "float"
    else:
        raise TypeError(f"unexpected value {value!r}")
    data = [str(x) if kind == "str" else x.item() for x in array.reshape(-1)]
    return {"type": kind, "shape": list(array.shape), "data": data}


def describe(atoms):
    return {
        "numbers": [int(z) for z in atoms.numbers],
        "positions": tagged(atoms.positions),
        "cell": tagged(atoms.cell.array),
        "pbc": [bool(p) for p in atoms.pbc],
        "info": {key: tagged(value) for key, value in atoms.info.items()},
        "arrays": {key: tagged(value) for key, value in atoms.arrays.items() if key not in ("numbers", "positions")},
    }


def read(path, out):
    frames = ase.io.read(path, index=":", format="extxyz")
    with open(out, "w") as stream:
        json.dump([describe(atoms) for atoms in frames], stream)


def written_by_ase():
    """Frames with what ASE users put in their files: calculator results, info of every type, extra columns."""
    rng = np.random.default_rng(20261127)
    water = Atoms("OH2", positions=[[0.0, 0.0, 0.119262], [0.0, 0.763239, -0.477047], [0.0, -0.763239, -0.477047]])
    water.positions += rng.normal(scale=1e-3, size=(3, 3))
    water.info.update(config_type="water", total_charge=0, fermi_level=-4.25, head="dft", weight=0.5, ok=True)
    water.calc = SinglePointCalculator(water, energy=-2079.8646471233, forces=rng.normal(size=(3, 3)),
                                       dipole=np.array([0.0, 0.0, 0.3712]))

    box = Atoms("NaClNaCl", scaled_positions=[[0, 0, 0], [0.5, 0, 0], [0.5, 0.5, 0], [0, 0.5, 0]],
                cell=[[5.64, 0.0, 0.0], [0.3, 5.64, 0.0], [0.0, 0.0, 12.0]], pbc=[True, True, False])
    box.positions += rng.normal(scale=1e-2, size=(4, 3))
    box.set_initial_charges([1.0, -1.0, 1.0, -1.0])
    box.set_tags([0, 1, 0, 1])
    box.new_array("atomic_multipoles", rng.normal(size=(4, 4)))
    box.new_array("fixed", np.array([True, False, True, False]))
    box.info.update(config_type="slab with spaces", external_field=np.array([0.0, 0.0, 0.05]), steps=np.array([3, 4, 5]))
    box.calc = SinglePointCalculator(box, energy=-11.25, forces=rng.normal(size=(4, 3)),
                                     stress=rng.normal(size=6))
    return [water, box]


def main():
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "write":
        ase.io.write(sys.argv[2], written_by_ase(), format="extxyz")
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")


if __name__ == "__main__":
    main()
