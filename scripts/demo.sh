#!/usr/bin/env bash
# The main job on the embedded default, end to end: builds lt (unless LT_BIN_DIR names tools built
# or installed elsewhere) and runs packaging/lt-demo on it with the repository's examples: a SQLite
# warehouse from examples/, a webhook receiver on a free port of 127.0.0.1, the example events
# through lt-query | lt-enrich | lt-send, the delivery results and what the receiver got. The
# package installs the same script as /usr/libexec/lt/lt-demo.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-system.sh
if [ -n "${LT_BIN_DIR:-}" ]; then
    bin=$LT_BIN_DIR
else
    swift build
    bin=$(swift build --show-bin-path)
fi
exec python3 packaging/lt-demo --bin-dir "$bin" --examples examples
