# Shared by start.sh and stop.sh; sourced, not run.
S3_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S3_REPO_ROOT=$(cd "$S3_SCRIPT_DIR/../.." && pwd)
S3_PORT=${S3_PORT:-7070}
S3_VERSITYGW=${S3_VERSITYGW:-v1.8.0}
S3_CACHE_DIR=${S3_CACHE_DIR:-$S3_REPO_ROOT/.cache/s3}
S3_BINARY=$S3_CACHE_DIR/$S3_VERSITYGW/versitygw
S3_STATE_FILE=$S3_CACHE_DIR/state/$S3_PORT.env
# a local test server's credentials, not secrets: the server listens on loopback only
S3_ACCESS_KEY=episodic
S3_SECRET_KEY=episodic-local-secret

s3_die() {
  echo "s3: $*" >&2
  exit 1
}

s3_load_state() {
  [[ -f $S3_STATE_FILE ]] || return 1
  # shellcheck disable=SC1090
  source "$S3_STATE_FILE"
}

s3_ensure_binary() {
  [[ -x $S3_BINARY ]] && return 0
  command -v go >/dev/null 2>&1 || s3_die "go not found; Go builds the versitygw S3 server the tests use (https://go.dev/dl)"
  echo "s3: building versitygw $S3_VERSITYGW from the Go module proxy (once per version)..." >&2
  local scratch
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/episodic-versitygw.XXXXXX")
  GOBIN=$scratch go install "github.com/versity/versitygw/cmd/versitygw@$S3_VERSITYGW" >&2 ||
    { rm -rf -- "$scratch"; s3_die "building versitygw failed"; }
  mkdir -p "$(dirname "$S3_BINARY")"
  mv -f -- "$scratch/versitygw" "$S3_BINARY"
  rm -rf -- "$scratch"
}

s3_print_env() {
  echo "export EPISODIC_S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
  echo "export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY"
  echo "export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY"
  echo "export AWS_REGION=us-east-1"
}
