#!/usr/bin/env bash
# Builds lt in release mode (scripts/build-release.sh: one static binary, run as lt-query, lt-enrich,
# lt-send or lt-rollup by the name it is called under) and installs it under PREFIX (default /usr/local): the
# binary in libexec/lt with its four names in bin, the man pages (scripts/man-pages.py, the same
# pages as the Debian package's) and bash, zsh and fish completions:
#   scripts/install.sh                     # /usr/local/bin, /usr/local/share/man/man1, …
#   PREFIX=$HOME/.local scripts/install.sh
# On Debian, scripts/build-deb.sh builds a package instead.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
tools=(lt-query lt-enrich lt-send lt-rollup)

scripts/setup-system.sh
bin=$(scripts/build-release.sh .build lt | tail -1)

install -d "$prefix/bin" "$prefix/libexec/lt" "$prefix/share/man/man1" "$prefix/share/man/man5"
install -m 755 "$bin/lt" "$prefix/libexec/lt/lt"
# Drops the debug info; the symbol table stays for crash backtraces.
strip --strip-debug "$prefix/libexec/lt/lt"
for tool in "${tools[@]}"; do ln -sfn ../libexec/lt/lt "$prefix/bin/$tool"; done
scripts/completion-scripts.sh "$prefix/bin" "$prefix/share" zsh/site-functions
man=$(mktemp -d)
trap 'rm -rf "$man"' EXIT
for page in $(python3 scripts/man-pages.py "$prefix/bin" "$man"); do
    install -m 644 "$page" "$prefix/share/man/man${page##*.}/"
done
echo "installed ${tools[*]} into $prefix/bin, man pages into $prefix/share/man, completions for bash, zsh and fish"
