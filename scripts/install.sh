#!/usr/bin/env bash
# Builds lt in release mode (scripts/build-release.sh: the Swift runtime linked in, so the tools
# need no Swift toolchain where they run) and installs the three tools, their man pages and their bash, zsh
# and fish completions under PREFIX (default /usr/local):
#   scripts/install.sh                     # /usr/local/bin, /usr/local/share/man/man1, …
#   PREFIX=$HOME/.local scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
tools=(lt-query lt-enrich lt-send)

scripts/setup-system.sh
bin=$(scripts/build-release.sh .build "${tools[@]}" generate-manual)

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
man=$(mktemp -d)
trap 'rm -rf "$man"' EXIT
for tool in "${tools[@]}"; do
    install -m 755 "$bin/$tool" "$prefix/bin/$tool"
    # Drops the debug info (a fifth of the size); the symbol table stays for crash backtraces.
    strip --strip-debug "$prefix/bin/$tool"
    "$bin/$tool" --generate-completion-script bash > "$prefix/share/bash-completion/completions/$tool"
    "$bin/$tool" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_$tool"
    "$bin/$tool" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/$tool.fish"
done
# Man pages from the argument definitions, by swift-argument-parser's generate-manual tool. Run
# on each tool rather than through the package plugin, which would also run the fuzz targets.
for tool in "${tools[@]}"; do
    "$bin/generate-manual" "$bin/$tool" --output-directory "$man"
done
for page in "$man"/*.1; do install -m 644 "$page" "$prefix/share/man/man1/"; done
echo "installed ${tools[*]} into $prefix/bin, man pages into $prefix/share/man/man1, completions for bash, zsh and fish"
