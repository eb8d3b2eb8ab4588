#!/usr/bin/env bash
# Builds lt the way it is installed and benchmarked: release mode, with the Swift standard library
# and FoundationEssentials linked in statically, so the binary runs on machines without a Swift
# toolchain and starts faster (no Swift shared libraries to load and relocate). No source file
# imports full Foundation, whose ICU data would triple the binary's size (docs/benchmarks.md).
# The product is one binary, lt, that runs as lt-query, lt-enrich, lt-send or lt-rollup by the name it is called
# under; the four names are made as links to it beside it.
#   scripts/build-release.sh [SCRATCH [PRODUCT…]]   prints the folder holding the binaries
# SCRATCH defaults to .build; PRODUCT to lt.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-.build}
shift || true
products=(lt)
[ $# -eq 0 ] || products=("$@")
# The binary exports no symbols (nothing loads it as a library), so the linker drops the code of the
# packages' public functions lt never calls; identical functions whose address is not taken are folded.
# -Osize: the binary is 19.8 MB stripped instead of 20.4 MB with -O (the packaging target is 20 MB).
# The JSON scanner's loops, where lt-enrich spends most of its time, are marked @_optimize(speed), so
# they are built as with -O (docs/benchmarks.md, "Binary size and start-up", "Before and after").
flags=(-c release --static-swift-stdlib --scratch-path "$scratch" -Xswiftc -Osize
    -Xlinker --no-export-dynamic -Xlinker --icf=safe)
for product in "${products[@]}"; do
    swift build "${flags[@]}" --product "$product" >&2
done
bin=$(swift build "${flags[@]}" --show-bin-path)
if [[ " ${products[*]} " == *" lt "* ]]; then
    for tool in lt-query lt-enrich lt-send lt-rollup; do ln -sfn lt "$bin/$tool"; done
fi
echo "$bin"
