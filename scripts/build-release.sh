#!/usr/bin/env bash
# Builds lt's tools the way they are installed and benchmarked: release mode, with the Swift
# standard library and Foundation linked in statically, so the binaries run on machines without
# a Swift toolchain and start faster (no Swift shared libraries to load and relocate).
#   scripts/build-release.sh [SCRATCH [PRODUCT…]]   prints the folder holding the binaries
# SCRATCH defaults to .build; PRODUCT to lt-query lt-enrich lt-send.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-.build}
shift || true
products=(lt-query lt-enrich lt-send)
[ $# -eq 0 ] || products=("$@")
for product in "${products[@]}"; do
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" >&2
done
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path
