#!/usr/bin/env bash
# Builds the Debian package lt_<version>_amd64.deb and prints its path as the last line:
#   scripts/build-deb.sh                     release build (scripts/build-release.sh), package in .build/deb/
#   scripts/build-deb.sh --bin-dir DIR       package the lt binary already built in DIR (the test
#                                            command passes its debug build: see scripts/test-package.sh)
#   scripts/build-deb.sh --out DIR           write the package into DIR
# The package holds one binary, /usr/libexec/lt/lt, installed as lt-query, lt-enrich, lt-send
# and lt-rollup (links in /usr/bin; it runs the tool it is called as), /usr/libexec/lt/lt-demo (the README's demo
# from the package alone), the man pages (scripts/man-pages.py), bash, zsh and fish completions, and
# under /usr/share/doc/lt the README, docs/ and examples/ laid out as in the repository, so that
# every link in them resolves. Depends is computed by dpkg-shlibdeps from the libraries the binary
# links, plus python3 for lt-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=""
out=.build/deb
while [ $# -gt 0 ]; do
    case $1 in
    --bin-dir) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-deb: unknown argument $1; use --bin-dir DIR and/or --out DIR" >&2; exit 64 ;;
    esac
done
[ -n "$bin" ] || bin=$(scripts/build-release.sh .build lt | tail -1)
[ -x "$bin/lt" ] || { echo "build-deb: no lt binary in $bin; build it with scripts/build-release.sh" >&2; exit 2; }
tools=(lt-query lt-enrich lt-send lt-rollup)

stage=$(mktemp -d /tmp/lt-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/lt
umask 022
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/libexec/lt" "$pkg/usr/share/man/man1" "$pkg/usr/share/man/man5" \
    "$pkg/usr/share/doc/lt/docs" "$pkg/usr/share/doc/lt/examples/systemd" "$pkg/usr/share/lintian/overrides"

# The binary, stripped (its .note sections stay: build id and ABI tag), and its four names.
install -m 755 "$bin/lt" "$pkg/usr/libexec/lt/lt"
strip --strip-unneeded --remove-section=.comment "$pkg/usr/libexec/lt/lt"
for tool in "${tools[@]}"; do ln -s ../libexec/lt/lt "$pkg/usr/bin/$tool"; done
install -m 755 packaging/lt-demo "$pkg/usr/libexec/lt/lt-demo"

# Completions and man pages come from the packaged binary itself, so they match its options.
scripts/completion-scripts.sh "$pkg/usr/bin" "$pkg/usr/share" zsh/vendor-completions
# The first line of --version is the tool's name and version; the rest name the libraries it runs with.
version=$("$pkg/usr/bin/lt-query" --version | awk 'NR == 1 { print $2 }')
for page in $(python3 scripts/man-pages.py "$pkg/usr/bin" "$stage/man"); do
    section=${page##*.}
    gzip -9n < "$page" > "$pkg/usr/share/man/man$section/$(basename "$page").gz"
done

# Docs and examples, every one of them, in the repository's layout (scripts/test-package.sh follows
# each link and each path the docs and the tools' help name).
doc=$pkg/usr/share/doc/lt
install -m 644 README.md "$doc/README.md"
install -m 644 docs/*.md "$doc/docs/"
find examples -maxdepth 1 -type f -exec install -m 644 {} "$doc/examples/" \;
find examples/systemd -maxdepth 1 -type f -exec install -m 644 {} "$doc/examples/systemd/" \;
install -m 644 packaging/debian/copyright "$doc/copyright"
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
maintainer=${DEBFULLNAME:+$DEBFULLNAME <${DEBEMAIL:-}>}
[ -n "$maintainer" ] || maintainer=$(git log -1 --format='%an <%ae>')
{
    echo "lt ($version) unstable; urgency=medium"
    echo
    echo "  * Release $version; see /usr/share/doc/lt/README.md."
    echo
    echo " -- $maintainer  $date"
} | gzip -9n > "$doc/changelog.gz"
install -m 644 packaging/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/lt"

# Depends: the versions of libcurl, libpq, SQLite and libc the binary needs, from their shlibs files.
shlib=$stage/shlibdeps
install -d "$shlib/debian"
printf 'Source: lt\n\nPackage: lt\nArchitecture: amd64\n' > "$shlib/debian/control"
# A debug build links the toolchain's Swift libraries, which no Debian package provides; the test
# command packages that build (installing it where the toolchain is), so only it may skip them.
ignore=()
if readelf -d "$pkg/usr/libexec/lt/lt" | grep -q 'libswiftCore\.so'; then ignore=(--ignore-missing-info); fi
depends=$(cd "$shlib" && dpkg-shlibdeps -O "${ignore[@]}" -e "$pkg/usr/libexec/lt/lt" 2>"$stage/shlibdeps.err" \
    | sed -n 's/^shlibs:Depends=//p') || { cat "$stage/shlibdeps.err" >&2; exit 1; }

cat > "$pkg/DEBIAN/control" <<EOF
Package: lt
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: $depends, python3
Section: utils
Priority: optional
Description: learning time for Open edX enterprise webhooks
 Unix filters passing NDJSON through pipes: lt-query looks up each
 learner's total learning time in a data warehouse (SQLite, PostgreSQL or
 Snowflake), lt-enrich adds it to course-completion webhook payloads, and
 lt-send delivers the payloads to integration partners, with retries, a
 journal against duplicates and a dead-letter file. lt-rollup computes the
 learning-time table from Open edX tracking logs.
 .
 The package holds the tools, their man pages, bash, zsh and fish
 completions, docs, examples (including systemd units for a spool folder)
 and /usr/libexec/lt/lt-demo, which runs the pipeline against a local
 receiver from the package alone.
EOF
(cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb=$(cd "$out" && pwd)/lt_${version}_amd64.deb
# LT_DEB_COMPRESSION: xz for a release; the test command uses gzip, much faster on a debug binary.
dpkg-deb --root-owner-group -Z"${LT_DEB_COMPRESSION:-xz}" --build "$pkg" "$deb" >&2
echo "$deb"
