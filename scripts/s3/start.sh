#!/usr/bin/env bash
# Starts an S3-compatible server (Versity Gateway, Apache-2.0, over a local directory) on
# 127.0.0.1:$S3_PORT (default 7070), with a bucket named `episodic`, and prints the lines a shell
# needs to use it. versitygw is built once from the Go module proxy and cached in .cache/s3/.
# Data lives in a fresh temp dir that stop.sh removes. Running it again while it is up is a no-op.
#
#   S3_PORT              port (default 7070)
#   S3_VERSITYGW         version to build (default v1.8.0)
#   S3_START_TIMEOUT     seconds to wait for it to answer (default 60)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if s3_load_state && kill -0 "$S3_PID" 2>/dev/null; then
  echo "s3: already running on 127.0.0.1:$S3_PORT (pid $S3_PID)" >&2
  s3_print_env
  exit 0
fi
rm -f -- "$S3_STATE_FILE"
(exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && s3_die "127.0.0.1:$S3_PORT is taken; pick another S3_PORT"

s3_ensure_binary
data_dir=$(mktemp -d "${TMPDIR:-/tmp}/episodic-s3-$S3_PORT.XXXXXX")
mkdir -p "$data_dir/root" "$data_dir/versioning"
ROOT_ACCESS_KEY_ID=$S3_ACCESS_KEY ROOT_SECRET_ACCESS_KEY=$S3_SECRET_KEY setsid "$S3_BINARY" \
  --port "127.0.0.1:$S3_PORT" posix "$data_dir/root" </dev/null >"$data_dir/server.log" 2>&1 &
pid=$!
mkdir -p "$(dirname "$S3_STATE_FILE")"
printf 'S3_PID=%s\nS3_DATA_DIR=%s\n' "$pid" "$data_dir" >"$S3_STATE_FILE"

deadline=$((SECONDS + ${S3_START_TIMEOUT:-60}))
until (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
    tail -n 20 "$data_dir/server.log" >&2 || true
    kill -KILL "$pid" 2>/dev/null || true
    rm -rf -- "$data_dir" "$S3_STATE_FILE"
    s3_die "versitygw did not start on 127.0.0.1:$S3_PORT"
  fi
  sleep 0.2
done
# the bucket, through the S3 API like any client would make it
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY S3_ENDPOINT="http://127.0.0.1:$S3_PORT" node "$S3_SCRIPT_DIR/create-bucket.mjs" episodic
echo "s3: versitygw on 127.0.0.1:$S3_PORT (pid $pid, data $data_dir), bucket episodic" >&2
s3_print_env
