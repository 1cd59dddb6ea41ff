# Sourced by the scripts: starts the local AWS emulator on a free loopback
# port, exports the AWS_* variables that point the SDK and the AWS CLI at it,
# and stops it when the calling script exits.
# Usage: . scripts/emulator.sh [server.py flags...]

_emu_dir=$(mktemp -d)
python3 "$(dirname "${BASH_SOURCE[0]}")/../tests/emulator/server.py" --host 127.0.0.1 --port 0 "$@" \
  >"$_emu_dir/out" 2>"$_emu_dir/err" &
_emu_pid=$!
trap 'kill $_emu_pid 2>/dev/null; wait $_emu_pid 2>/dev/null; rm -rf "$_emu_dir"' EXIT
for _ in $(seq 1 100); do
  grep -q '^READY ' "$_emu_dir/out" 2>/dev/null && break
  kill -0 $_emu_pid 2>/dev/null || { cat "$_emu_dir/err" >&2; echo "the emulator did not start" >&2; exit 2; }
  sleep 0.1
done
AWS_ENDPOINT_URL=$(sed -n 's/^READY //p' "$_emu_dir/out")
[ -n "$AWS_ENDPOINT_URL" ] || { echo "the emulator did not start in time" >&2; exit 2; }
export AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
