#!/usr/bin/env sh
# Regenerates the example's data with the polarisable teacher (docs/synth.md): two-fragment conductors
# (Na4 + K4 tetrahedra 8-12 A apart, at a constant Fermi level, in an applied field along x).
# Run from anywhere; same seeds and counts give the same files.
set -e
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
macescf="$dir/../../macescf"
"$macescf" synth --system conductor --count 40 --seed 1 -o "$dir/train.xyz"
"$macescf" synth --system conductor --count 10 --seed 2 -o "$dir/valid.xyz"
"$macescf" synth --system conductor --count 20 --seed 3 -o "$dir/test.xyz"
