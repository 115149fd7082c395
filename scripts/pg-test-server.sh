#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests, on 127.0.0.1 and a free port, in a data directory of its own.
#   pg-test-server.sh start DIR    initdb (if needed) and start; prints the store URL (no password: trust on loopback)
#   pg-test-server.sh stop DIR     fast shutdown
#   pg-test-server.sh restart DIR  stop, then start on the same port (fault tests use it)
# initdb refuses root, so as root the server runs as the `postgres` user. Never for production: fsync is off.
set -euo pipefail

action=${1:?usage: pg-test-server.sh start|stop|restart DIR}
dir=${2:?usage: pg-test-server.sh start|stop|restart DIR}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/pg_ctl" ] || { echo "error: no PostgreSQL server binaries (install the postgresql package)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 40000 ))
    # bash's /dev/tcp connect fails when nothing listens there
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "error: no free port found" >&2; exit 1
}

start() {
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    free_port >"$dir/port"
    local listen=${PG_LISTEN:-127.0.0.1}
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '$listen'
port = $(cat "$dir/port")
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
CONF
    echo "host all all 0.0.0.0/0 trust" >>"$dir/data/pg_hba.conf"
  fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

stop() {
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case "$action" in
  start) start ;;
  stop) stop ;;
  restart) stop; start >/dev/null ;;
  *) echo "usage: pg-test-server.sh start|stop|restart DIR" >&2; exit 2 ;;
esac
