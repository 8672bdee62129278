#!/usr/bin/env bash
# Stops what scripts/infra/up.sh started (and only that), then removes its state dir if nothing else is left.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE="${FEEDWERK_INFRA_DIR:-$REPO_DIR/.infra}"
export FEEDWERK_INFRA_DIR="$STATE"

SCRIPT_NAME=down.sh
# shellcheck source=scripts/infra/lib.sh
. "$SCRIPT_DIR/lib.sh"

if [[ ! -f "$STATE/started" ]]; then
  log "nothing recorded in $STATE/started; nothing to stop"
fi
status=0
if grep -qxF kafka "$STATE/started" 2>/dev/null; then
  "$SCRIPT_DIR/kafka.sh" stop || status=1
fi
if grep -qxF pg "$STATE/started" 2>/dev/null; then
  "$SCRIPT_DIR/pg.sh" stop || status=1
fi
rm -f "$STATE/env" "$STATE/env.tmp" "$STATE/started" "$STATE/.kafka-start.out"
# Lock files only go with their service: one started by hand (pg.sh/kafka.sh start) keeps its own.
[[ -d "$STATE/kafka" ]] || rm -f "$STATE/.kafka.lock"
[[ -d "$STATE/pg" ]] || rm -f "$STATE/.pg.lock"
rmdir "$STATE" 2>/dev/null || true
exit "$status"
