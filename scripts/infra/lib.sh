# shellcheck shell=bash
# Helpers shared by the infra scripts; sourced, never run. The sourcing script sets SCRIPT_NAME first.

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

now_ms() { date +%s%3N; }
elapsed() { # seconds since $1 (ms), one decimal
  local ms=$(($(now_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# Port 0 makes the kernel pick free ports; all sockets are held until every number is known, so the
# ports differ. Released right away: a tiny race, acceptable for tests, and it lets parallel
# checkouts and CI jobs coexist without fixed ports.
free_ports() {
  local n=$1
  if command -v python3 >/dev/null 2>&1 && python3 - "$n" 2>/dev/null <<'PY'; then return; fi
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
  command -v node >/dev/null 2>&1 || die "need python3 or node to pick free ports"
  node -e '
    const net = require("net"), n = +process.argv[1], ss = [];
    let up = 0;
    for (let i = 0; i < n; i++) {
      const s = net.createServer(); ss.push(s);
      s.listen(0, "127.0.0.1", () => { if (++up === n) { console.log(ss.map((x) => x.address().port).join(" ")); ss.forEach((x) => x.close()); } });
    }' "$n"
}
