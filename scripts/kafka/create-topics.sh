#!/usr/bin/env bash
# Creates the pipeline's topics (the defaults in pipelines/default.yaml) on the broker start.sh
# runs, or on $KAFKA_BROKERS. Topics that already exist are left as they are, so it is safe to
# run again. Mirrors the kafka-init service in docker-compose.yml.
#
#   KAFKA_PORT     port of the start.sh broker (default 9092)
#   KAFKA_BROKERS  bootstrap servers to use instead (host:port[,host:port...])
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kafka_require_java
kafka_ensure_libs
bootstrap=${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}
[[ -n ${KAFKA_BROKERS:-} ]] || kafka_port_open "$KAFKA_PORT" ||
  kafka_die "no broker on 127.0.0.1:$KAFKA_PORT; start one with bash scripts/kafka/start.sh"

create_topic() {
  java -Xmx256m -cp "$KAFKA_LIBS_DIR/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$bootstrap" --create --if-not-exists --replication-factor 1 "$@"
}

# One JVM per topic, so they run side by side rather than paying the JVM start three times over.
pids=()
# key = device_id: the partition count caps how many pipeline instances share the work
create_topic --topic input-events --partitions 6 & pids+=($!)
# key = person:<id>, exemption:<id>:<from> or erasure:<id> (src/privacy/registry.ts): compaction keeps
# the latest record of each, which is everything the registry still decides by
create_topic --topic registry --partitions 1 --config cleanup.policy=compact & pids+=($!)
create_topic --topic input-events-dlq --partitions 1 & pids+=($!)

failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
((failed == 0)) || kafka_die "creating topics on $bootstrap failed (is the broker running? bash scripts/kafka/start.sh)"
echo "kafka: topics input-events (6 partitions), registry (compacted), input-events-dlq exist on $bootstrap"
