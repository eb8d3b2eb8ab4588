#!/usr/bin/env bash
# Two throwaway memcached servers for tests and benchmarks, on free loopback ports.
#
#   eval "$(scripts/memcached.sh start)"   # exports LT_MEMCACHED_DIR and LT_TEST_MEMCACHED
#                                           # (127.0.0.1:PORT,127.0.0.1:PORT)
#   scripts/memcached.sh stop "$LT_MEMCACHED_DIR"
set -euo pipefail

# The servers outlive this script: they must not inherit any descriptor of the caller's (a test
# harness reading a pipe to its end would otherwise wait for as long as they run).
for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
start)
    command -v memcached >/dev/null || { echo "memcached.sh: no memcached; run scripts/setup-system.sh" >&2; exit 1; }
    dir=$(mktemp -d /tmp/lt-memcached.XXXXXX)
    user=()
    [ "$(id -u)" -eq 0 ] && user=(-u nobody)
    servers=()
    for i in 1 2; do
        port=$(free_port)
        # Loopback only, no UDP, 64 MB each; in its own session, so that it outlives this script.
        setsid memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 64 </dev/null >"$dir/$i.log" 2>&1 &
        echo $! >"$dir/$i.pid"
        servers+=("127.0.0.1:$port")
    done
    # Wait until both answer, so that the first test does not meet a server still starting.
    for s in "${servers[@]}"; do
        for _ in $(seq 100); do
            python3 - "$s" <<'PY' 2>/dev/null && break
import socket, sys
host, port = sys.argv[1].split(":")
c = socket.create_connection((host, int(port)), timeout=1)
c.sendall(b"mn\r\n")
assert c.recv(16).startswith(b"MN")
PY
            sleep 0.05
        done
    done
    list=$(IFS=,; echo "${servers[*]}")
    echo "export LT_MEMCACHED_DIR='$dir' LT_TEST_MEMCACHED='$list'"
    ;;
stop)
    dir=${2:?usage: memcached.sh stop DIR}
    for f in "$dir"/*.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    rm -rf "$dir"
    ;;
*)
    echo "usage: memcached.sh start | stop DIR" >&2
    exit 64
    ;;
esac
