#!/usr/bin/env bash
# The package test, run by scripts/test.sh: builds the Debian package from the tools in BIN_DIR,
# installs it into a throwaway root, and checks it as an operator would meet it:
#   - Depends names libcurl4, libpq5 and libsqlite3-0 with versions (dpkg-shlibdeps);
#   - each installed tool's --version names it, the package's version and the commit it was built from;
#   - the packaged lt-demo runs the demo from the package alone, on a free loopback port, writing
#     nothing outside its temporary folder; the systemd example's spool script runs on the packaged
#     tools and its units pass systemd-analyze verify;
#   - every link in the packaged Markdown, and every docs/…, examples/… or /usr/share/doc/lt/… path
#     the packaged docs, man pages and --help texts name, is a file in the package;
#   - the man pages render without a warning (mandoc -T lint) and have the sections they must;
#   - bash, zsh and fish complete file names and fixed values from the packaged completions;
#   - lintian reports nothing beyond packaging/debian/lintian-overrides.
#   scripts/test-package.sh [BIN_DIR]     BIN_DIR defaults to $LT_BIN_DIR, else the debug build
# The test command packages the debug build rather than a release build, which would add several
# minutes of compiling to it; scripts/build-deb.sh with no --bin-dir packages the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${LT_BIN_DIR:-$(swift build --show-bin-path)}}
work=$(mktemp -d /tmp/lt-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "test-package: FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "test-package: ok: $*" >&2; }

# Full Foundation brings ICU's data into the static binary (about 45 MB of its 65); FoundationEssentials
# does not. A Foundation method reached through another module (Package.swift's onlyImportedMembers)
# shows as a Foundation symbol (10Foundation in its mangled name): code in a static build, an
# undefined reference in a debug one. (A debug build names libFoundation.so anyway: TOMLKit imports it.)
if grep -rln --include='*.swift' '^import Foundation$' Sources; then
    fail "the files above import Foundation; import FoundationEssentials (docs/benchmarks.md, binary size)"
fi
if [ "$(nm "$bin/lt" | grep -c '10Foundation')" -gt 0 ]; then
    fail "$bin/lt links full Foundation; find the call with: nm -u on .build/*/Shared.build/*.o | grep 10Foundation"
fi

deb=$(LT_DEB_COMPRESSION=gzip scripts/build-deb.sh --bin-dir "$bin" --out "$work" | tail -1)
[ -f "$deb" ] && [ "$(basename "$deb")" = "lt_$("$bin/lt-query" --version | awk 'NR == 1 { print $2 }')_amd64.deb" ] \
    && pass "built $(basename "$deb")" || fail "build-deb.sh printed $deb"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl4 libpq5 libsqlite3-0; do
    [[ $depends =~ (^|, )$lib\ \(\>=\ [0-9] ]] && pass "Depends: $lib with a version" || fail "Depends lacks $lib (>= …): $depends"
done

root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/lt-query usr/bin/lt-enrich usr/bin/lt-send usr/bin/lt-rollup usr/libexec/lt/lt \
    usr/share/man/man1/lt-query.1.gz usr/share/man/man1/lt-enrich.1.gz usr/share/man/man1/lt-send.1.gz \
    usr/share/man/man1/lt-rollup.1.gz usr/share/bash-completion/completions/lt-rollup usr/share/doc/lt/docs/rollup.md \
    usr/share/man/man5/lt-integrations.5.gz usr/share/man/man5/lt-rollout.5.gz \
    usr/share/bash-completion/completions/lt-send usr/share/zsh/vendor-completions/_lt-send \
    usr/share/fish/vendor_completions.d/lt-send.fish usr/share/doc/lt/copyright usr/share/doc/lt/changelog.gz \
    usr/share/doc/lt/examples/integrations.toml usr/share/doc/lt/examples/systemd/lt-spool.service; do
    [ -e "$root/$f" ] || fail "the package has no /$f"
done

# Each installed tool says which build it is: its name, the version the package is named after, and
# the commit: this checkout's HEAD, or in a `git archive` tarball the commit it filled in.
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    commit=$(git rev-parse --short HEAD)
else
    commit=$(cat packaging/commit)
fi
for path in usr/bin/lt-query usr/bin/lt-enrich usr/bin/lt-send usr/bin/lt-rollup usr/libexec/lt/lt; do
    tool=${path##*/}
    line=$("$root/$path" --version | head -n 1)
    if [[ $line =~ ^$tool\ $(dpkg-deb -f "$deb" Version)\ \(commit\ ([0-9a-f]{7,40})(-dirty)?\)$ ]] \
        && [ "${BASH_REMATCH[1]}" = "$commit" ]; then
        pass "/$path --version: $line"
    else
        fail "/$path --version says \"$line\", not \"$tool $(dpkg-deb -f "$deb" Version) (commit $commit)\""
    fi
done

# The demo from the package alone: run from an empty folder with an empty HOME and TMPDIR, it
# delivers every example line and leaves all three empty (its temporary folder removed).
mkdir -p "$work/demo-cwd" "$work/demo-home" "$work/demo-tmp"
if (cd "$work/demo-cwd" && env -u LT_WAREHOUSE -u LT_CACHE_DIR -u XDG_CACHE_HOME HOME="$work/demo-home" \
    TMPDIR="$work/demo-tmp" "$root/usr/libexec/lt/lt-demo") > "$work/demo.out" 2>&1; then
    delivered=$(grep -c '"status":"delivered"' "$work/demo.out" || true)
    enriched=$(grep -c '"learning_time":{' "$work/demo.out" || true)
    [ "$delivered" -eq "$(wc -l < examples/completions.ndjson)" ] && [ "$enriched" -ge 1 ] \
        && pass "lt-demo from the package: $delivered delivered, $enriched with learning time" \
        || { cat "$work/demo.out" >&2; fail "lt-demo: $delivered delivered, $enriched with learning time"; }
    left=$(find "$work/demo-cwd" "$work/demo-home" "$work/demo-tmp" -mindepth 1 | head -5)
    [ -z "$left" ] && pass "lt-demo wrote nothing outside its temporary folder" || fail "lt-demo left $left"
else
    cat "$work/demo.out" >&2
    fail "the packaged lt-demo failed"
fi

# Every link and named path resolves in the package: Markdown links relative to their file, and the
# docs/…, examples/… and /usr/share/doc/lt/… paths named in the packaged docs, the man pages and
# every tool's --help (relative ones from /usr/share/doc/lt, where the README is).
doc=$root/usr/share/doc/lt
links=0
while IFS= read -r md; do
    while IFS= read -r target; do
        target=${target%%#*}
        [ -n "$target" ] || continue
        links=$((links + 1))
        [ -e "$(dirname "$md")/$target" ] || fail "${md#"$root"} links to $target, which the package does not have"
    done < <(grep -oE '\]\([^)[:space:]]+\)' "$md" | sed -E 's/^\]\((.*)\)$/\1/' | grep -vE '^[a-z]+:' || true)
done < <(find "$doc" -name '*.md')
named=$work/named.txt
{
    find "$doc" -name '*.md' -exec cat {} +
    for gz in "$root"/usr/share/man/man*/lt-*.gz; do gunzip -c "$gz" | sed 's/\\-/-/g'; done
    for tool in "$root"/usr/bin/lt-*; do "$tool" --help; done
} > "$named"
# Files only (a name with an extension): docs/man/, the man pages' source folder, is the repository's.
for path in $(grep -oE '(/usr/share/doc/lt/|\b)(docs|examples)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$named" \
    | grep -E '/[^/]+\.[A-Za-z0-9]+$' | sort -u); do
    case $path in /*) file=$root$path ;; *) file=$doc/$path ;; esac
    links=$((links + 1))
    [ -e "$file" ] || fail "the docs or a --help name $path, which the package does not have"
done
[ "$links" -ge 10 ] && pass "$links links and named paths resolve in the package" || fail "only $links links found"

status=0
"$root/usr/libexec/lt/lt" > /dev/null 2>&1 || status=$?
[ "$status" -eq 64 ] && pass "the binary run under its own name exits 64" || fail "lt under its own name exited $status"

scripts/test-man-pages.sh "$root" || fail "man pages"
scripts/test-completions.sh "$root" || fail "completions"
scripts/test-systemd-example.sh "$root" || fail "systemd example"

# lintian: nothing beyond the justified overrides. The debug build (the test command's) also
# carries tags a release build does not: its RPATH to the toolchain's Swift libraries, and the
# Swift libraries it needs that no Debian package provides.
debug_only=()
if readelf -d "$root/usr/libexec/lt/lt" | grep -q 'libswiftCore\.so'; then
    debug_only=(--suppress-tags custom-library-search-path,undeclared-elf-prerequisites)
fi
if lintian --fail-on error,warning --no-tag-display-limit "${debug_only[@]}" "$deb" > "$work/lintian.out" 2>&1; then
    pass "lintian: $(grep -c . "$work/lintian.out" || true) tags beyond the overrides (info level)"
else
    cat "$work/lintian.out" >&2
    fail "lintian"
fi

[ "$failures" -eq 0 ] || { echo "test-package: $failures failure(s)" >&2; exit 1; }
echo "test-package: all checks passed" >&2
