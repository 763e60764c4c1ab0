#!/usr/bin/env bash
# Stops the server start.sh started on $S3_PORT (default 7070) and deletes its data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if ! s3_load_state; then
  echo "s3: no server started by start.sh on port $S3_PORT" >&2
  exit 0
fi
if kill -0 "$S3_PID" 2>/dev/null; then
  kill -TERM "$S3_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$S3_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$S3_PID" 2>/dev/null || true
fi
rm -rf -- "$S3_DATA_DIR" "$S3_STATE_FILE"
echo "s3: stopped the server on 127.0.0.1:$S3_PORT" >&2
