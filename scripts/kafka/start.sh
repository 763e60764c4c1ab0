#!/usr/bin/env bash
# Starts a single-node Apache Kafka 4.x broker (KRaft, combined broker+controller) on
# 127.0.0.1:$KAFKA_PORT (default 9092) from Maven-resolved jars: no Docker, no Kafka download.
# Data lives in a fresh temp dir that stop.sh removes. Running it again while the broker is up
# is a no-op.
#
#   KAFKA_PORT             broker port (default 9092)
#   KAFKA_CONTROLLER_PORT  controller port (default: first free port above KAFKA_PORT)
#   KAFKA_VERSION          Kafka version (default: the one pinned in pom.xml)
#   KAFKA_HEAP_OPTS        JVM heap flags (default -Xms128m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
#   KAFKA_CDS=off          do not record or use the class-data-sharing archive
#   KAFKA_EXTRA_PROPERTIES a file appended to server.properties; its keys win (e.g. a SASL_SSL listener)
#   KAFKA_SCRAM_CREDENTIAL a SCRAM user made when the storage is formatted: SCRAM-SHA-256=[name=N,password=P]
#   KAFKA_READY_PORT       the PLAINTEXT port the readiness probe connects to (default KAFKA_PORT)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kafka_require_java

if kafka_load_state; then
  if kafka_is_broker_pid "$BROKER_PID"; then
    echo "kafka: already running on 127.0.0.1:$KAFKA_PORT (pid $BROKER_PID, data $DATA_DIR)"
    exit 0
  fi
  echo "kafka: removing stale state of a broker that is gone (pid $BROKER_PID)" >&2
  kafka_remove_data_dir "$DATA_DIR"
  rm -f -- "$KAFKA_STATE_FILE"
fi

kafka_port_open "$KAFKA_PORT" &&
  kafka_die "127.0.0.1:$KAFKA_PORT is taken by a process start.sh did not start; pick another KAFKA_PORT"

controller_port=${KAFKA_CONTROLLER_PORT:-}
if [[ -z $controller_port ]]; then
  controller_port=$((KAFKA_PORT + 1))
  while kafka_port_open "$controller_port"; do controller_port=$((controller_port + 1)); done
fi

kafka_ensure_libs

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/episodic-kafka-$KAFKA_PORT.XXXXXX")
log_file=$data_dir/server.log
sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@DATA_DIR@|$data_dir|g" \
  "$KAFKA_SCRIPT_DIR/server.properties" >"$data_dir/server.properties"
if [[ -n ${KAFKA_EXTRA_PROPERTIES:-} ]]; then
  cat -- "$KAFKA_EXTRA_PROPERTIES" >>"$data_dir/server.properties" ||
    { kafka_remove_data_dir "$data_dir"; kafka_die "cannot read KAFKA_EXTRA_PROPERTIES $KAFKA_EXTRA_PROPERTIES"; }
fi

jvm_opts=(
  -Dlog4j2.configurationFile="$KAFKA_SCRIPT_DIR/log4j2.properties"
  -Dkafka.logs.dir="$data_dir"
  -Djava.awt.headless=true
)
fail_start() {
  echo "kafka: $1; last lines of $log_file:" >&2
  tail -n 40 "$log_file" "$data_dir/stdout.log" >&2 2>/dev/null || true
  [[ -n ${broker_pid:-} ]] && kill -KILL "$broker_pid" 2>/dev/null
  kafka_remove_data_dir "$data_dir"
  rm -f -- "$KAFKA_STATE_FILE"
  exit 1
}

cds_opts=()
if [[ ${KAFKA_CDS:-on} != off ]]; then
  # a stale archive (other JDK, moved checkout) is ignored by the JVM, never fatal
  if [[ -f $KAFKA_CDS_ARCHIVE ]]; then
    cds_opts=(-XX:SharedArchiveFile="$KAFKA_CDS_ARCHIVE")
  else
    cds_opts=(-XX:ArchiveClassesAtExit="$data_dir/broker.jsa")
  fi
fi

# A KRaft cluster id is 16 random bytes in unpadded url-safe base64. One in 64 starts with '-',
# which the format command would parse as an option; Kafka's own Uuid.randomUuid redraws those too.
cluster_id=-
while [[ $cluster_id == -* ]]; do
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
done
format_cds_opts=()
[[ -f $KAFKA_CDS_ARCHIVE && ${KAFKA_CDS:-on} != off ]] && format_cds_opts=(-XX:SharedArchiveFile="$KAFKA_CDS_ARCHIVE")
format_opts=()
[[ -n ${KAFKA_SCRAM_CREDENTIAL:-} ]] && format_opts=(--add-scram "$KAFKA_SCRAM_CREDENTIAL")
java -Xmx256m "${format_cds_opts[@]}" "${jvm_opts[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.tools.StorageTool format \
  --cluster-id "$cluster_id" --config "$data_dir/server.properties" --standalone "${format_opts[@]}" \
  >"$data_dir/stdout.log" 2>&1 || fail_start "formatting the storage failed"

# setsid + no inherited stdio: the broker outlives this script, and a caller waiting on our
# output (a test spawning start.sh) is not kept waiting on the broker's.
# shellcheck disable=SC2086
setsid java ${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:+ExitOnOutOfMemoryError "${cds_opts[@]}" "${jvm_opts[@]}" -cp "$KAFKA_LIBS_DIR/*" \
  kafka.Kafka "$data_dir/server.properties" </dev/null >>"$data_dir/stdout.log" 2>&1 &
broker_pid=$!

mkdir -p "$(dirname "$KAFKA_STATE_FILE")"
{
  printf 'BROKER_PID=%q\n' "$broker_pid"
  printf 'DATA_DIR=%q\n' "$data_dir"
  printf 'CONTROLLER_PORT=%q\n' "$controller_port"
  printf 'VERSION=%q\n' "$KAFKA_VERSION"
} >"$KAFKA_STATE_FILE"

# Ready means a client gets metadata and a group coordinator, not just an open port: the
# probe lists topics and describes a group through kafkajs. Without node/kafkajs (a fresh
# checkout), the broker's own "started" log line has to do.
ready_port=${KAFKA_READY_PORT:-$KAFKA_PORT}
probe_ready() {
  kafka_port_open "$ready_port" || return 1
  grep -q 'Kafka Server started' "$log_file" 2>/dev/null || return 1
  command -v node >/dev/null 2>&1 && [[ -d $KAFKA_REPO_ROOT/node_modules/kafkajs ]] || return 0
  (cd "$KAFKA_REPO_ROOT" && KAFKAJS_NO_PARTITIONER_WARNING=1 node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ brokers: [process.argv[1]], logLevel: logLevel.NOTHING,
      retry: { retries: 2 }, connectionTimeout: 2000, requestTimeout: 5000 }).admin();
    admin.connect()
      .then(() => admin.listTopics())
      .then(() => admin.describeGroups(["episodic-kafka-ready-probe"]))
      .then(() => admin.disconnect().then(() => process.exit(0)))
      .catch(() => process.exit(1));
  ' "127.0.0.1:$ready_port") >/dev/null 2>&1
}

deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
until probe_ready; do
  kafka_is_broker_pid "$broker_pid" || fail_start "the broker exited during startup"
  ((SECONDS < deadline)) || fail_start "the broker did not answer within ${KAFKA_START_TIMEOUT:-90} s"
  sleep 0.5
done

echo "kafka: Apache Kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (pid $broker_pid, data $data_dir, log $log_file)"
