#!/usr/bin/env bash
# Stops the broker start.sh started on $KAFKA_PORT (default 9092) and deletes its data.
# SIGTERM first so it shuts down cleanly; SIGKILL if it is still there after
# KAFKA_STOP_TIMEOUT seconds (default 30: the first broker of a version writes its class-data
# archive on the way out, which takes a while on a busy machine). Stopping a broker that is not
# running succeeds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! kafka_load_state; then
  echo "kafka: no broker started by start.sh on port $KAFKA_PORT"
  exit 0
fi

if kafka_is_broker_pid "$BROKER_PID"; then
  kill -TERM "$BROKER_PID" 2>/dev/null || true
  deadline=$((SECONDS + ${KAFKA_STOP_TIMEOUT:-30}))
  while kafka_is_broker_pid "$BROKER_PID" && ((SECONDS < deadline)); do sleep 0.2; done
  if ! kafka_is_broker_pid "$BROKER_PID"; then
    # a clean exit has written the class-data-sharing archive start.sh asked for: keep it for
    # the next start (copied under a scratch name, so a concurrent start never maps half a file)
    if [[ -s $DATA_DIR/broker.jsa && ! -f $KAFKA_CDS_ARCHIVE ]]; then
      cp -- "$DATA_DIR/broker.jsa" "$KAFKA_CDS_ARCHIVE.partial.$$" &&
        mv -f -- "$KAFKA_CDS_ARCHIVE.partial.$$" "$KAFKA_CDS_ARCHIVE" || rm -f -- "$KAFKA_CDS_ARCHIVE.partial.$$"
    fi
  else
    echo "kafka: broker pid $BROKER_PID ignored SIGTERM for ${KAFKA_STOP_TIMEOUT:-30} s; killing it" >&2
    kill -KILL "$BROKER_PID" 2>/dev/null || true
    while kill -0 "$BROKER_PID" 2>/dev/null; do sleep 0.1; done
  fi
  echo "kafka: stopped broker on 127.0.0.1:$KAFKA_PORT (pid $BROKER_PID)"
else
  echo "kafka: broker on port $KAFKA_PORT was already gone; cleaning up"
fi

kafka_remove_data_dir "$DATA_DIR"
rm -f -- "$KAFKA_STATE_FILE"
