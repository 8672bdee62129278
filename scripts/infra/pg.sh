#!/usr/bin/env bash
# Throwaway PostgreSQL for tests and CI, from Debian's `postgresql` package (no Docker here).
#
#   scripts/infra/pg.sh start    start (or find) the cluster; prints DATABASE_URL=... on stdout
#   scripts/infra/pg.sh status   prints DATABASE_URL=... and exits 0 if running, exits 1 if not
#   scripts/infra/pg.sh stop     fast shutdown, then deletes the cluster
#
# State lives in ${FEEDWERK_INFRA_DIR:-<repo>/.infra}/pg. Only the DATABASE_URL line goes to stdout so
# callers can capture it with $(...); everything else goes to stderr.
# Env: PG_BIN (bin dir override), PG_START_TIMEOUT (seconds, default 60).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="${FEEDWERK_INFRA_DIR:-$REPO_DIR/.infra}"
PG_DIR="$INFRA_DIR/pg"
DB_NAME=feedwerk
START_TIMEOUT="${PG_START_TIMEOUT:-60}"

SCRIPT_NAME=pg.sh
# shellcheck source=scripts/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian installs the server binaries outside PATH (/usr/lib/postgresql/<major>/bin); pick the newest major.
find_bin_dir() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/initdb" ]] || die "PG_BIN=$PG_BIN has no initdb"
    printf '%s\n' "$PG_BIN"
    return
  fi
  local initdb=""
  if command -v dpkg-query >/dev/null 2>&1; then
    initdb="$(dpkg-query -S '*/bin/initdb' 2>/dev/null | sed -n 's/^[^:]*: //p' | sort -V | tail -n 1 || true)"
  fi
  if [[ -z "$initdb" ]]; then
    initdb="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
    [[ -x "$initdb" ]] || initdb="$(command -v initdb || true)"
  fi
  [[ -n "$initdb" && -x "$initdb" ]] ||
    die "PostgreSQL server binaries (initdb) not found; install with: apt-get install postgresql"
  dirname "$initdb"
}

# The server refuses to run as root, so as root we run the server binaries as Debian's `postgres` user.
# `9>&-`: the postmaster must not inherit our lock fd, or it would hold the lock for its whole life.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user (apt-get install postgresql creates it)"
    runuser -u postgres -- "$@" 9>&-
  else
    "$@" 9>&-
  fi
}

BIN=""
data_dir() { cat "$PG_DIR/datadir" 2>/dev/null || true; }
port() { cat "$PG_DIR/port" 2>/dev/null || true; }
url() { printf 'DATABASE_URL=postgres://postgres@127.0.0.1:%s/%s\n' "$(port)" "$DB_NAME"; }

# Running = a postmaster for our data dir is alive AND it accepts connections on the recorded port.
is_running() {
  local dir p
  dir="$(data_dir)"
  p="$(port)"
  [[ -n "$dir" && -n "$p" && -d "$dir" ]] || return 1
  postmaster_alive "$dir" || return 1
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$p" -d postgres -U postgres -t 5 >/dev/null 2>&1
}

# Is the pid in DIR/postmaster.pid a postgres serving DIR? After a crash that pid may have been reused by an
# unrelated process, which `pg_ctl stop` would then signal; only a postmaster started on DIR has DIR in its argv.
postmaster_alive() {
  local dir=$1 pid
  pid="$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] && tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$dir"
}

remove_data_dir() {
  rm -rf -- "$1"
  # A temp-dir fallback cluster (see cmd_start) lives in its own mktemp dir; remove that wrapper too.
  case "$1" in "${TMPDIR:-/tmp}"/feedwerk-pg.*/data) rmdir -- "$(dirname "$1")" 2>/dev/null || true ;; esac
}

# Removes whatever a previous run left (killed server, half-done init). The cluster is throwaway by design.
wipe() {
  local dir
  dir="$(data_dir)"
  if [[ -n "$dir" && -d "$dir" ]]; then
    if postmaster_alive "$dir"; then
      as_pg "$BIN/pg_ctl" -D "$dir" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    remove_data_dir "$dir"
  fi
  rm -rf -- "$PG_DIR"
}

cmd_start() {
  local t0
  t0="$(now_ms)"
  if is_running; then
    log "postgres already running on port $(port)"
    url
    return
  fi
  wipe
  mkdir -p "$PG_DIR"

  # The data dir sits in the state dir so that deleting the state dir also deletes the postmaster's lock
  # file, which makes an orphaned server shut itself down (PostgreSQL re-checks it every minute).
  # As root the server runs as `postgres`, which must be able to reach it; if a parent dir is private
  # (e.g. a checkout under /root), fall back to the system temp dir.
  local dir="$PG_DIR/data"
  if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$PG_DIR"; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/feedwerk-pg.XXXXXX")"
    chmod 755 "$dir"
    dir="$dir/data"
    log "postgres user cannot reach $PG_DIR; using $dir"
  fi
  if [[ $EUID -eq 0 ]]; then
    install -d -m 700 -o postgres -g postgres "$dir"
  else
    install -d -m 700 "$dir"
  fi
  printf '%s\n' "$dir" >"$PG_DIR/datadir"

  # --no-sync/fsync=off: nothing here must survive an OS crash; a killed server still keeps committed data
  # (the OS page cache has it), which the crash tests rely on, so synchronous_commit stays on.
  as_pg "$BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }

  local p socket_dir="$dir"
  p="$(free_ports 1)"
  # Unix socket paths are limited to 107 bytes; with a deep checkout use TCP only (clients use 127.0.0.1).
  if ((${#dir} + 20 > 107)); then socket_dir=""; fi
  # Settings go into postgresql.conf rather than `pg_ctl -o`, which would re-split paths with spaces.
  # max_connections: several services and test workers each hold a pool. The idle-in-transaction timeout
  # keeps one stuck transaction from stalling the outbox relay forever (reliability.md, failure mode 2).
  # Commit timestamps let the end-to-end benchmark time the store and projector hops (scripts/bench/e2e.mjs).
  cat >>"$dir/postgresql.conf" <<EOF

# --- feedwerk throwaway test cluster (scripts/infra/pg.sh) ---
port = $p
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
fsync = off
max_connections = 200
idle_in_transaction_session_timeout = 60000
track_commit_timestamp = on
EOF
  printf '%s\n' "$p" >"$PG_DIR/port"

  if ! as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t "$START_TIMEOUT" start >/dev/null 2>&1; then
    tail -n 30 "$dir/server.log" >&2 || true
    die "postgres did not start (log: $dir/server.log)"
  fi
  "$BIN/createdb" -h 127.0.0.1 -p "$p" -U postgres "$DB_NAME" ||
    die "createdb $DB_NAME failed"
  log "postgres ready in $(elapsed "$t0")s (port $p, data $dir)"
  url
}

cmd_stop() {
  local dir
  dir="$(data_dir)"
  if [[ -n "$dir" && -d "$dir" ]]; then
    if postmaster_alive "$dir"; then
      as_pg "$BIN/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        as_pg "$BIN/pg_ctl" -D "$dir" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    remove_data_dir "$dir"
    log "postgres stopped"
  else
    log "postgres not running"
  fi
  rm -rf -- "$PG_DIR"
}

cmd_status() {
  if is_running; then
    url
  else
    log "postgres not running"
    return 1
  fi
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
  start | stop | status) ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
  esac
  BIN="$(find_bin_dir)"
  if [[ "$cmd" != status ]]; then
    mkdir -p "$INFRA_DIR"
    # Serialise concurrent start/stop calls (e.g. two test runners) on the same state dir.
    exec 9>"$INFRA_DIR/.pg.lock"
    flock -w 120 9 || die "timed out waiting for $INFRA_DIR/.pg.lock"
  fi
  "cmd_$cmd"
}

main "$@"
