#!/usr/bin/env bash
# Starts the throwaway PostgreSQL and Kafka that tests and CI need, unless the environment already names them.
#
#   scripts/infra/up.sh      prints DATABASE_URL=... and KAFKA_BROKERS=... on stdout and writes them to $STATE/env
#   scripts/infra/down.sh    stops only what up.sh started
#
# STATE is ${FEEDWERK_INFRA_DIR:-<repo>/.infra}. A DATABASE_URL or KAFKA_BROKERS already set in the environment
# is used as-is and nothing is started for it (e.g. a developer's own servers). Running up.sh again while the
# servers run just prints the same lines. Typical use:
#   eval "$(scripts/infra/up.sh | sed 's/^/export /')"      or      set -a; . .infra/env; set +a
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE="${FEEDWERK_INFRA_DIR:-$REPO_DIR/.infra}"
export FEEDWERK_INFRA_DIR="$STATE" # pg.sh and kafka.sh keep their state under the same dir

SCRIPT_NAME=up.sh
# shellcheck source=scripts/infra/lib.sh
. "$SCRIPT_DIR/lib.sh"

# Recorded before starting, so down.sh also cleans up a start that failed half-way.
record_started() {
  grep -qxF "$1" "$STATE/started" 2>/dev/null || printf '%s\n' "$1" >>"$STATE/started"
}

# KEY=value that both dotenv readers (node --env-file, dotenv) and `. file` in bash read back unchanged:
# plain when the value has no shell-special characters, single-quoted otherwise.
env_line() {
  if [[ "$2" =~ ^[A-Za-z0-9@:/._,=+%?-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  else
    printf "%s='%s'\n" "$1" "$2"
  fi
}

mkdir -p "$STATE"
t0="$(now_ms)"

# Kafka takes ~5 s and PostgreSQL ~1 s: start them side by side.
kafka_pid=""
if [[ -n "${KAFKA_BROKERS:-}" ]]; then
  log "using KAFKA_BROKERS from the environment; not starting Kafka"
else
  record_started kafka
  "$SCRIPT_DIR/kafka.sh" start >"$STATE/.kafka-start.out" &
  kafka_pid=$!
fi

pg_ok=1
if [[ -n "${DATABASE_URL:-}" ]]; then
  log "using DATABASE_URL from the environment; not starting PostgreSQL"
else
  record_started pg
  if line="$("$SCRIPT_DIR/pg.sh" start)"; then
    DATABASE_URL="${line#DATABASE_URL=}"
  else
    pg_ok=0
  fi
fi

kafka_ok=1
if [[ -n "$kafka_pid" ]]; then
  if wait "$kafka_pid"; then
    KAFKA_BROKERS="$(sed -n 's/^KAFKA_BROKERS=//p' "$STATE/.kafka-start.out")"
  else
    kafka_ok=0
  fi
  rm -f "$STATE/.kafka-start.out"
fi

((pg_ok)) || die "PostgreSQL did not start (see above); run scripts/infra/down.sh to clean up"
((kafka_ok)) || die "Kafka did not start (see above); run scripts/infra/down.sh to clean up"
[[ -n "${DATABASE_URL:-}" && -n "${KAFKA_BROKERS:-}" ]] || die "missing DATABASE_URL or KAFKA_BROKERS"

lines="$(env_line DATABASE_URL "$DATABASE_URL")
$(env_line KAFKA_BROKERS "$KAFKA_BROKERS")"
# Written via rename so a reader never sees half a file.
printf '%s\n' "$lines" >"$STATE/env.tmp"
mv -f "$STATE/env.tmp" "$STATE/env"
log "infra ready in $(elapsed "$t0")s; env in $STATE/env"
printf '%s\n' "$lines"
