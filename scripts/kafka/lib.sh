# Shared by start.sh, stop.sh and create-topics.sh; sourced, not run.
# One broker instance per port: its pid, data dir and log are recorded in a state file
# named after the port, so a test's broker and a developer's broker on 9092 never collide.

KAFKA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_REPO_ROOT=$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CACHE_DIR=${KAFKA_CACHE_DIR:-$KAFKA_REPO_ROOT/.cache/kafka}
KAFKA_VERSION=${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_SCRIPT_DIR/pom.xml")}
KAFKA_LIBS_DIR=$KAFKA_CACHE_DIR/$KAFKA_VERSION/libs
KAFKA_STATE_FILE=$KAFKA_CACHE_DIR/state/$KAFKA_PORT.env
# Class-data-sharing archive of the broker's classes: roughly halves JVM start-up. The first
# broker records it when it shuts down cleanly (stop.sh); later ones map it.
KAFKA_CDS_ARCHIVE=$KAFKA_CACHE_DIR/$KAFKA_VERSION/broker.jsa

kafka_die() {
  echo "kafka: $*" >&2
  exit 1
}

kafka_require_java() {
  command -v java >/dev/null 2>&1 ||
    kafka_die "java not found; install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [[ -n $major && $major -ge 17 ]] ||
    kafka_die "Kafka $KAFKA_VERSION needs Java 17+, found '$(java -version 2>&1 | head -n 1)'; install openjdk-17-jre-headless"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
kafka_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when $1 is a live process running the Kafka broker (guards against pid reuse).
kafka_is_broker_pid() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}

# Loads BROKER_PID, DATA_DIR, CONTROLLER_PORT, VERSION from the state file; false when there is none.
kafka_load_state() {
  [[ -f $KAFKA_STATE_FILE ]] || return 1
  # shellcheck disable=SC1090
  source "$KAFKA_STATE_FILE"
}

# Data dirs come from mktemp with this prefix; refusing anything else keeps a corrupt state
# file from turning `rm -rf` loose on the wrong directory.
kafka_remove_data_dir() {
  local dir=${1:-}
  [[ -n $dir && $(basename "$dir") == episodic-kafka-* && -d $dir ]] || return 0
  rm -rf -- "$dir"
}

# The broker's jars, resolved once per Kafka version. Maven writes into a scratch dir that is
# renamed into place only when complete, so an interrupted or concurrent resolution never
# leaves a half-filled libs dir behind.
kafka_ensure_libs() {
  [[ -f $KAFKA_LIBS_DIR/.complete ]] && return 0
  command -v mvn >/dev/null 2>&1 ||
    kafka_die "mvn not found and no cached jars in $KAFKA_LIBS_DIR; install Maven (e.g. apt-get install maven)"
  local scratch
  mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"
  scratch=$(mktemp -d "$(dirname "$KAFKA_LIBS_DIR")/libs.partial.XXXXXX")
  echo "kafka: resolving Apache Kafka $KAFKA_VERSION jars with Maven (once per version)..." >&2
  if ! mvn -q -B -f "$KAFKA_SCRIPT_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$scratch" -DincludeScope=runtime >"$scratch.log" 2>&1; then
    cat "$scratch.log" >&2
    rm -rf -- "$scratch" "$scratch.log"
    kafka_die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (is Maven Central reachable?)"
  fi
  rm -f -- "$scratch.log"
  chmod 755 "$scratch"
  touch "$scratch/.complete"
  mv -T "$scratch" "$KAFKA_LIBS_DIR" 2>/dev/null || rm -rf -- "$scratch" # another start won the race
  [[ -f $KAFKA_LIBS_DIR/.complete ]] || kafka_die "jar cache $KAFKA_LIBS_DIR is incomplete; delete it and retry"
}
