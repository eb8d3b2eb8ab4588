#!/usr/bin/env bash
# Installs the Debian packages lt's build, tests and demo need, when any is missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

packages=(libcurl4-openssl-dev libssl-dev libpq-dev libsqlite3-dev zlib1g-dev sqlite3 postgresql postgresql-client python3 python3-pip python3-venv curl jq openssl pkg-config binutils prometheus-node-exporter memcached)
# The Debian package and its test (scripts/build-deb.sh, scripts/test-package.sh): dpkg-shlibdeps and
# lintian, man page linting, the shells whose completions are tested, systemd-analyze for the units.
packages+=(dpkg-dev lintian mandoc bash-completion zsh fish systemd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages the tests use as independent checkers (standardwebhooks verifies signatures).
python3 - <<'PY' 2>/dev/null || { echo "setup: installing Python test packages" >&2; python3 -m pip install -q standardwebhooks; }
import standardwebhooks
PY
