#!/usr/bin/env bash
# Throwaway single-node Apache Kafka 4.x (KRaft) for tests and CI, run from Maven Central jars (no Docker here).
#
#   scripts/infra/kafka.sh start    start (or find) the broker; prints KAFKA_BROKERS=127.0.0.1:PORT on stdout
#   scripts/infra/kafka.sh status   prints KAFKA_BROKERS=... and exits 0 if running, exits 1 if not
#   scripts/infra/kafka.sh stop     TERM (KILL after 10 s), then deletes the state dir
#   scripts/infra/kafka.sh classpath   prints the classpath (to run Kafka's own tools, e.g. ConsoleProducer)
#   scripts/infra/kafka.sh pause    stops the broker but keeps its state dir (an outage, for tests)
#   scripts/infra/kafka.sh resume   restarts a paused broker on the same port with the same data
#
# KAFKA_SECURE=1: a second, separate broker (state in <infra>/kafka-secure) with SASL_PLAINTEXT on loopback,
# SCRAM-SHA-512 users created at format time, the StandardAuthorizer, allow.everyone.if.no.acl.found=false and
# auto.create.topics.enable=false; `admin` is the super user (also on the PLAIN-authenticated controller listener).
# KAFKA_SCRAM_USERS="admin=<password>,feedwerk-relay=<password>,..." names the users (admin is required). Only the
# ACL test and docs/kafka-security.md use it; production runs SASL_SSL (see that document).
#
# Jars are fetched once with Maven into ${XDG_CACHE_HOME:-$HOME/.cache}/feedwerk/kafka-$KAFKA_VERSION/libs.
# State (config, data, logs, pid) lives in ${FEEDWERK_INFRA_DIR:-<repo>/.infra}/kafka.
# Only the KAFKA_BROKERS line goes to stdout so callers can capture it with $(...); the rest goes to stderr.
# Env: KAFKA_VERSION (default below), KAFKA_START_TIMEOUT (s, default 60), KAFKA_HEAP_OPTS (default -Xmx512m),
#      JAVA_HOME, KAFKA_ADVERTISED_PORT (plaintext broker only: the port clients are told to use, e.g. a fault
#      proxy's in front of the broker; it must be listening before start, since readiness goes through it),
#      KAFKA_LOG_DIR (plaintext broker only: an empty directory for the partitions' data instead of <state>/data,
#      e.g. a small tmpfs to fill up; it is not deleted by stop).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="${FEEDWERK_INFRA_DIR:-$REPO_DIR/.infra}"
SECURE="${KAFKA_SECURE:-0}"
if [[ "$SECURE" == 1 ]]; then KAFKA_DIR="$INFRA_DIR/kafka-secure"; else KAFKA_DIR="$INFRA_DIR/kafka"; fi
# Newest 4.x on Maven Central that was verified here (broker, console tools and kafkajs 2.2.4).
VERSION="${KAFKA_VERSION:-4.4.0}"
# Kafka's poms bring log4j-core but no SLF4J binding (the binary distribution adds it); without one the
# broker logs nothing. Kafka 4 uses SLF4J 1.7, so the binding is log4j-slf4j-impl, pinned via log4j's BOM.
LOG4J_VERSION=2.25.5
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/feedwerk"
LIBS="$CACHE_ROOT/kafka-$VERSION/libs"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=10
# Marks the JVMs we start, so stop/start can tell our broker from a reused pid or an unrelated java, and
# can find a broker whose state dir was deleted under it.
MARKER="-Dfeedwerk.infra.kafka=$KAFKA_DIR"

SCRIPT_NAME=kafka.sh
# shellcheck source=scripts/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAVA=""
TOOL=()
find_java() {
  JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  command -v "$JAVA" >/dev/null 2>&1 ||
    die "java not found; Kafka 4 needs Java 17+ (install with: apt-get install openjdk-17-jre-headless)"
  local spec
  spec="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
  spec="${spec#1.}" # Java 8 reports 1.8
  [[ "$spec" =~ ^[0-9]+$ ]] || die "cannot tell the Java version of $JAVA"
  ((spec >= 17)) || die "Kafka 4 needs Java 17+, $JAVA is Java $spec (install: apt-get install openjdk-17-jre-headless)"
}

# Downloads the broker and tools jars once per version. Maven writes into a temp dir that is renamed into
# place only when complete, so an interrupted download is never mistaken for a usable cache.
ensure_libs() {
  if [[ -f "$LIBS/kafka_2.13-$VERSION.jar" ]]; then return; fi
  command -v mvn >/dev/null 2>&1 ||
    die "Kafka $VERSION jars are not cached in $LIBS and mvn is missing (install with: apt-get install maven)"
  mkdir -p "$CACHE_ROOT"
  # Two checkouts starting at once must not both download into the same place.
  exec 8>"$CACHE_ROOT/kafka-$VERSION.lock"
  flock -w 600 8 || die "timed out waiting for $CACHE_ROOT/kafka-$VERSION.lock"
  if [[ -f "$LIBS/kafka_2.13-$VERSION.jar" ]]; then exec 8>&-; return; fi

  local t0 tmp
  t0="$(now_ms)"
  # Under the lock, any temp dir left is from an interrupted download: discard it.
  rm -rf -- "$CACHE_ROOT/.kafka-$VERSION."*
  tmp="$(mktemp -d "$CACHE_ROOT/.kafka-$VERSION.XXXXXX")"
  # shellcheck disable=SC2064 # expand $tmp now: it is local to this function
  trap "rm -rf -- '$tmp'" EXIT
  log "downloading Kafka $VERSION jars with Maven (once; cached in $LIBS)"
  # kafka_2.13 is the broker (and kafka.tools.StorageTool); kafka-tools has TopicCommand and the console
  # producer/consumer. connect-runtime (Jetty, Jersey) is only needed by the Connect tools: left out.
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.feedwerk</groupId>
  <artifactId>kafka-test-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-bom</artifactId>
        <version>$LOG4J_VERSION</version><type>pom</type><scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
    </dependency>
  </dependencies>
</project>
EOF
  if ! mvn -B -q -f "$tmp/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    tail -n 40 "$tmp/mvn.log" >&2
    die "Maven could not fetch org.apache.kafka:kafka_2.13:$VERSION (is that version on Maven Central?)"
  fi
  local jar
  for jar in "kafka_2.13-$VERSION.jar" "kafka-tools-$VERSION.jar" "log4j-slf4j-impl-$LOG4J_VERSION.jar"; do
    [[ -f "$tmp/libs/$jar" ]] || die "Maven finished but $jar is missing; see $tmp/mvn.log"
  done
  mkdir -p "$(dirname "$LIBS")"
  rm -rf -- "$LIBS"
  mv -T -- "$tmp/libs" "$LIBS"
  rm -rf -- "$tmp"
  trap - EXIT
  exec 8>&-
  log "downloaded $(find "$LIBS" -name '*.jar' | wc -l) jars in $(elapsed "$t0")s"
}

port() { cat "$KAFKA_DIR/port" 2>/dev/null || true; }
brokers() { printf 'KAFKA_BROKERS=127.0.0.1:%s\n' "$(port)"; }

is_ours() { # pid -> is it a JVM we started for this state dir?
  [[ "$1" =~ ^[0-9]+$ && -r "/proc/$1/cmdline" ]] && tr '\0' '\n' <"/proc/$1/cmdline" | grep -qxF -- "$MARKER"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_running() {
  local pid p
  pid="$(cat "$KAFKA_DIR/pid" 2>/dev/null || true)"
  p="$(port)"
  [[ -n "$p" ]] && is_ours "$pid" && port_open "$p"
}

# Our brokers for this state dir: the recorded pid plus any whose state dir was deleted under them.
our_pids() {
  local pid
  {
    cat "$KAFKA_DIR/pid" 2>/dev/null || true
    pgrep -f -- "-Dfeedwerk\\.infra\\.kafka=" || true
  } | sort -u | while read -r pid; do
    if is_ours "$pid"; then printf '%s\n' "$pid"; fi
  done
}

wait_gone() { # tenths-of-a-second pid... -> 0 once all are gone, 1 on timeout
  local n=$1 i pid alive
  shift
  for ((i = 0; i < n; i++)); do
    alive=0
    for pid in "$@"; do
      # A zombie (our own child after a failed start) counts as gone.
      if kill -0 "$pid" 2>/dev/null && [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]]; then alive=1; fi
    done
    ((alive)) || return 0
    sleep 0.1
  done
  return 1
}

# TERM lets the broker shut down cleanly (usually about a second); KILL if it is still there after 10 s.
kill_ours() {
  local pids
  mapfile -t pids < <(our_pids)
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait_gone $((STOP_TIMEOUT * 10)) "${pids[@]}" && return 0
  log "broker did not stop within ${STOP_TIMEOUT}s of SIGTERM; sending SIGKILL to ${pids[*]}"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_gone 50 "${pids[@]}" || log "warning: pid(s) ${pids[*]} still alive after SIGKILL"
}

# Small, fast-starting JVM for the admin tools (C1 only, serial GC): they run for a second or two.
tool_cmd() {
  TOOL=("$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.properties" -cp "$LIBS/*")
}
tool() { "${TOOL[@]}" "$@" 9>&-; }

# user=password pairs from KAFKA_SCRAM_USERS (secure mode), checked before anything is started.
SCRAM_USERS=()
ADMIN_PASSWORD=""
read_scram_users() {
  local pair user pass pairs
  [[ -n "${KAFKA_SCRAM_USERS:-}" ]] ||
    die "KAFKA_SECURE=1 needs KAFKA_SCRAM_USERS=admin=<password>,<user>=<password>,..."
  IFS=',' read -r -a pairs <<<"$KAFKA_SCRAM_USERS"
  for pair in "${pairs[@]}"; do
    user="${pair%%=*}"
    pass="${pair#*=}"
    # Both end up inside JAAS and tool arguments: keep them to characters that need no quoting.
    [[ "$pair" == *=* && "$user" =~ ^[A-Za-z0-9._-]+$ && "$pass" =~ ^[A-Za-z0-9._-]{8,}$ ]] ||
      die "KAFKA_SCRAM_USERS: '$user' needs user=password of [A-Za-z0-9._-], the password 8+ characters"
    SCRAM_USERS+=("$user" "$pass")
    if [[ "$user" == admin ]]; then ADMIN_PASSWORD="$pass"; fi
  done
  [[ -n "$ADMIN_PASSWORD" ]] || die "KAFKA_SCRAM_USERS must include admin=<password> (the super user)"
}

write_secure_config() {
  local p=$1 cp=$2
  # The client listener authenticates with SCRAM-SHA-512 (credentials live in the metadata log, added at
  # format time: KRaft has no ZooKeeper to hold them). The controller listener uses PLAIN with a static
  # admin entry: the controller must authenticate before any metadata (and so any SCRAM credential) is there.
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cp
listeners=SASL_PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$cp
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$p
inter.broker.listener.name=SASL_PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASSWORD" user_admin="$ADMIN_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
auto.create.topics.enable=false
log.dirs=$KAFKA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
EOF
}

write_config() {
  local p=$1 cp=$2
  # Single combined broker+controller (KRaft). Replication settings are 1 because there is one node;
  # internal topics get few partitions so the first consumer group / transaction does not wait for 50.
  if [[ "$SECURE" == 1 ]]; then
    write_secure_config "$p" "$cp"
  else
    cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cp
listeners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$cp
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_ADVERTISED_PORT:-$p}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${KAFKA_LOG_DIR:-$KAFKA_DIR/data}
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# The app creates its topics explicitly; kept on for now so ad-hoc test topics just work.
auto.create.topics.enable=true
EOF
  fi
  cat >"$KAFKA_DIR/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $KAFKA_DIR/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Per-request and state-change chatter drowns what matters when a test fails.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
  cat >"$KAFKA_DIR/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
  # Bounded admin-client waits, so a readiness probe against a half-started broker returns instead of hanging.
  cat >"$KAFKA_DIR/tools-client.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
  if [[ "$SECURE" == 1 ]]; then
    cat >>"$KAFKA_DIR/tools-client.properties" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
EOF
  fi
}

fail_start() {
  log "error: $1"
  log "--- tail of $KAFKA_DIR/broker.log ---"
  tail -n 40 "$KAFKA_DIR/broker.log" >&2 2>/dev/null || true
  if [[ -s "$KAFKA_DIR/broker.out" ]]; then
    log "--- tail of $KAFKA_DIR/broker.out ---"
    tail -n 20 "$KAFKA_DIR/broker.out" >&2
  fi
  kill_ours
  exit 1
}

# Ready = the process lives, the port accepts, and a metadata round-trip (list topics) succeeds.
wait_ready() {
  local pid=$1 p=$2 deadline=$(($(date +%s) + START_TIMEOUT))
  while :; do
    kill -0 "$pid" 2>/dev/null || fail_start "broker exited during startup"
    if port_open "$p" &&
      timeout 20 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$p" \
        --command-config "$KAFKA_DIR/tools-client.properties" --list >/dev/null 2>"$KAFKA_DIR/probe.err" 9>&-; then
      return 0
    fi
    (($(date +%s) < deadline)) || {
      cat "$KAFKA_DIR/probe.err" >&2 || true
      fail_start "broker not ready within ${START_TIMEOUT}s"
    }
    sleep 0.5
  done
}

cmd_start() {
  local t0
  t0="$(now_ms)"
  if is_running; then
    log "kafka already running on port $(port)"
    brokers
    return
  fi
  find_java
  if [[ "$SECURE" == 1 ]]; then read_scram_users; fi
  ensure_libs
  tool_cmd
  kill_ours # a broker left from an earlier run whose pid file or state dir is gone or stale
  rm -rf -- "$KAFKA_DIR"
  mkdir -p -m 700 "$KAFKA_DIR"

  local p cp cluster_id
  read -r p cp < <(free_ports 2)
  [[ -n "$p" && -n "$cp" ]] || die "could not pick free ports"
  write_config "$p" "$cp"

  # What bin/kafka-storage.sh does: a fresh cluster id, then format the log dir as a standalone controller.
  cluster_id="$(tool kafka.tools.StorageTool random-uuid)" || die "StorageTool random-uuid failed"
  local scram=() i
  for ((i = 0; i < ${#SCRAM_USERS[@]}; i += 2)); do
    scram+=(--add-scram "SCRAM-SHA-512=[name=${SCRAM_USERS[i]},password=${SCRAM_USERS[i + 1]}]")
  done
  tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
    "${scram[@]}" >"$KAFKA_DIR/format.log" 2>&1 || { cat "$KAFKA_DIR/format.log" >&2; die "StorageTool format failed"; }

  printf '%s\n' "$p" >"$KAFKA_DIR/port"
  launch
  log "kafka $VERSION ready in $(elapsed "$t0")s (port $p, controller $cp, state $KAFKA_DIR)"
  brokers
}

# Runs the broker of the formatted state dir on its recorded port and waits until it is ready.
launch() {
  # setsid: the broker must outlive this script and not get the terminal's/CI step's Ctrl-C or SIGHUP.
  # All its output goes to files, so a caller's $(...) does not wait for the broker to close our stdout.
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
  setsid nohup "$JAVA" ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true "$MARKER" \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >>"$KAFKA_DIR/broker.out" 2>&1 </dev/null 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$KAFKA_DIR/pid"
  wait_ready "$pid" "$(port)"
}

# An outage for tests: the broker stops (TERM, KILL after 10 s) and keeps its state dir, ports and data.
cmd_pause() {
  kill_ours
  log "kafka paused (state kept in $KAFKA_DIR; resume restarts it on port $(port))"
}

# Restarts a paused broker from its state dir: same port, same topics, offsets and committed positions.
cmd_resume() {
  local t0
  t0="$(now_ms)"
  if is_running; then
    brokers
    return
  fi
  [[ -f "$KAFKA_DIR/server.properties" && -n "$(port)" ]] || die "no paused broker in $KAFKA_DIR (start one first)"
  find_java
  ensure_libs
  tool_cmd
  launch
  log "kafka resumed in $(elapsed "$t0")s (port $(port))"
  brokers
}

cmd_stop() {
  if [[ -n "$(our_pids)" ]]; then
    kill_ours
    log "kafka stopped"
  else
    log "kafka not running"
  fi
  rm -rf -- "$KAFKA_DIR"
}

cmd_status() {
  if is_running; then
    brokers
  else
    log "kafka not running"
    return 1
  fi
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
  start | stop | status | pause | resume) ;;
  classpath)
    [[ -f "$LIBS/kafka_2.13-$VERSION.jar" ]] || die "Kafka $VERSION jars not cached yet; run: $0 start"
    printf '%s\n' "$LIBS/*"
    return
    ;;
  *)
    echo "usage: $0 start|stop|status|pause|resume|classpath" >&2
    exit 2
    ;;
  esac
  if [[ "$cmd" != status ]]; then
    mkdir -p "$INFRA_DIR"
    # Serialise concurrent start/stop calls on the same state dir (fd 9 is closed for every child).
    local lock
    lock="$INFRA_DIR/.$(basename "$KAFKA_DIR").lock"
    exec 9>"$lock"
    flock -w 300 9 || die "timed out waiting for $lock"
  fi
  "cmd_$cmd"
}

main "$@"
