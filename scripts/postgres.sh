#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, in a temporary folder, listening on a
# free loopback port. PostgreSQL refuses to run as root, so the cluster belongs to the postgres user.
#
#   eval "$(scripts/postgres.sh start)"   # exports LT_PG_DIR, LT_PG_PORT and LT_TEST_POSTGRES
#   scripts/postgres.sh stop "$LT_PG_DIR"
#   scripts/postgres.sh pause "$LT_PG_DIR"    # stop the server, keep the cluster (outage tests)
#   scripts/postgres.sh resume "$LT_PG_DIR"   # start it again on the same port
set -euo pipefail

# The server outlives this script: it must not inherit any descriptor of the caller's (a test
# harness reading a pipe to its end would otherwise wait for as long as the server runs).
for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null || true
done

bindir() {
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
    echo "postgres.sh: no PostgreSQL server found; install the postgresql package" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

run_as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        # setpriv rather than su: su starts a session and leaves callers waiting on a zombie.
        setpriv --reuid=postgres --regid=postgres --clear-groups bash -c "$*"
    else
        bash -c "$*"
    fi
}

start_server() {
    local bin=$1 dir=$2 port=$3
    run_as_postgres "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
        -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start \
        </dev/null >'$dir/pg_ctl.log' 2>&1" || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
}

case "${1:-}" in
start)
    bin=$(bindir)
    dir=$(mktemp -d /tmp/lt-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    port=$(free_port)
    run_as_postgres "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync >'$dir/initdb.log' 2>&1"
    # One role must log in with a password (lt-query's failed-login tests); every other one is trusted.
    run_as_postgres "sed -i '1i host all lt_password_test 127.0.0.1/32 scram-sha-256' '$dir/data/pg_hba.conf'"
    # The server must not inherit the caller's stdout or stderr: a caller reading them to the end
    # (a test harness) would wait for as long as the server runs.
    echo "$port" > "$dir/port"
    start_server "$bin" "$dir" "$port"
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -c "CREATE DATABASE lt_test" >/dev/null
    echo "export LT_PG_DIR='$dir' LT_PG_PORT='$port' LT_PG_BIN='$bin'"
    echo "export LT_TEST_POSTGRES='host=127.0.0.1 port=$port dbname=lt_test user=postgres'"
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(bindir)
    [ -d "$dir/data" ] && run_as_postgres "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
    rm -rf "$dir"
    ;;
pause)
    dir=${2:?usage: postgres.sh pause DIR}
    run_as_postgres "'$(bindir)/pg_ctl' -D '$dir/data' -m fast -w stop </dev/null >/dev/null 2>&1"
    ;;
resume)
    dir=${2:?usage: postgres.sh resume DIR}
    start_server "$(bindir)" "$dir" "$(cat "$dir/port")"
    ;;
*)
    echo "usage: postgres.sh start | stop DIR | pause DIR | resume DIR" >&2
    exit 64
    ;;
esac
