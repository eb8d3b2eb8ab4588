#!/usr/bin/env bash
# The benchmarks' fast receiver: nginx answering 204 to every request, on 127.0.0.1 only, with its
# configuration, pid and logs in DIR and nothing else touched.
#
#   ng=$(bench/nginx-204.sh start DIR); eval "$ng"                  # sets NGINX_PORT, a free port
#   ng=$(bench/nginx-204.sh start DIR --tls CERT KEY); eval "$ng"   # also NGINX_TLS_PORT: https, HTTP/2
#   bench/nginx-204.sh stop DIR
#
# A second start on the same DIR reuses its configuration, so the ports stay the same (outages).
# It returns once nginx answers, and fails (so `set -e` stops the caller) when it does not; nginx
# itself must be installed by the caller.
set -euo pipefail
cmd=${1:?usage: nginx-204.sh start|stop DIR [--tls CERT KEY]}
dir=${2:?usage: nginx-204.sh start|stop DIR [--tls CERT KEY]}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case $cmd in
stop)
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 100); do [ -f "$dir/nginx.pid" ] || exit 0; sleep 0.05; done
    rm -f "$dir/nginx.pid"
    ;;
start)
    mkdir -p "$dir"
    if [ ! -f "$dir/nginx.conf" ]; then
        port=$(free_port)
        tls=""
        if [ "${3:-}" = --tls ]; then
            tls_port=$(free_port)
            tls="server { listen 127.0.0.1:$tls_port ssl http2; ssl_certificate $4; ssl_certificate_key $5;
        location / { return 204; } }"
            echo "$tls_port" > "$dir/tls.port"
        fi
        echo "$port" > "$dir/port"
        cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 10000000;
    server { listen 127.0.0.1:$port; location / { return 204; } }
    $tls
}
CONF
    fi
    port=$(cat "$dir/port")
    "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    for _ in $(seq 200); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
            echo "NGINX_PORT=$port"
            [ ! -f "$dir/tls.port" ] || echo "NGINX_TLS_PORT=$(cat "$dir/tls.port")"
            exit 0
        fi
        sleep 0.05
    done
    echo "nginx-204.sh: nginx did not answer on 127.0.0.1:$port; see $dir/error.log" >&2
    exit 1
    ;;
*)
    echo "usage: nginx-204.sh start|stop DIR [--tls CERT KEY]" >&2
    exit 64
    ;;
esac
