#!/usr/bin/env bash
# Fleet example: six local "hosts", each with its own app and config directory.
#  1. audit   - which hosts drift from the standard, and which cannot use it (writes nothing);
#  2. apply   - roll the standard out in serial batches [1, 2, 3]; one host's SMTP test fails, which stops
#               the rollout before the last batch (max_fail_percentage: 0).
# Each run writes a fleet report (JSON, Markdown, HTML) on the controller.
#
# Usage: examples/fleet/run.sh [OUTPUT_DIR]     (default: tests/output/fleet-example)
# Exit status: 0 when both playbooks ran and the apply stopped only because of failed hosts.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
OUT=$(mkdir -p "${1:-$ROOT/tests/output/fleet-example}" && cd "${1:-$ROOT/tests/output/fleet-example}" && pwd)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$ROOT/.collections}
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_RETRY_FILES_ENABLED=false
export PATH=$VENV/bin:$PATH

rm -rf "$OUT/hosts" "$OUT/reports" "$OUT/sandbox"
mkdir -p "$OUT/hosts" "$OUT/sandbox"
cp -a "$HERE/files/." "$OUT/hosts/"

PIDFILE=$OUT/sandbox/sandbox.pid
STATE=$OUT/sandbox/state.json
stop_sandbox() { PYTHONPATH=$ROOT/tests "$PY" -m smtp_sandbox stop --pidfile "$PIDFILE" >/dev/null 2>&1 || true; }
trap stop_sandbox EXIT
PYTHONPATH=$ROOT/tests "$PY" -m smtp_sandbox start --scenarios "$HERE/sandbox.yml" --state "$STATE" \
  --record-dir "$OUT/sandbox/records" --pidfile "$PIDFILE" >/dev/null
"$PY" - "$STATE" "$OUT" > "$OUT/sandbox/vars.json" <<'PYEOF'
import json, sys
json.dump({"sandbox": json.load(open(sys.argv[1])), "fleet_dir": sys.argv[2]}, sys.stdout)
PYEOF
# The sandbox's private CA in the trust store of the local "hosts" (the system CAs plus the sandbox's CA), read
# by the module's SMTP test as by the apps; in a real fleet: the CA installed on each host.
SSL_CERT_FILE=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["relay"]["ca_bundle"])' "$STATE")
export SSL_CERT_FILE

run_playbook() {
  echo
  echo "================================================================ $1"
  "$VENV/bin/ansible-playbook" -i "$HERE/inventory" -e "@$OUT/sandbox/vars.json" "$HERE/$1"
}

run_playbook audit.yml
rc=0
run_playbook apply.yml || rc=$?
# ansible-playbook exits 2 when hosts failed (here: the host whose SMTP test failed); anything else is a bug.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
  echo "apply.yml failed unexpectedly (exit $rc)" >&2
  exit "$rc"
fi

echo
echo "Fleet reports:"
for report in "$OUT"/reports/*; do echo "  $report"; done
"$PY" - "$OUT/reports" <<'PYEOF'
import glob, json, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    report = json.load(open(path))
    counts = ", ".join("%s %d" % (s, n) for s, n in report["totals"]["by_status"].items() if n)
    print("  %-6s %s" % (report["mode"], counts))
PYEOF
