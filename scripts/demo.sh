#!/usr/bin/env bash
# `make demo`: starts the embedded SMTP sandbox and runs the demo playbooks against it.
#
# Contract with demo/playbooks/*.yml (run in name order):
#   - the working copies of demo/files/ live in $DEMO_DIR (demo/output/, recreated on each run);
#   - extra vars: `demo_dir` (absolute path of $DEMO_DIR) and `sandbox`, the sandbox's state:
#     {<scenario name>: {host, port, ca_path, ca_bundle, server}} for the scenarios of demo/sandbox.json
#     (ca_bundle: the system CAs plus the sandbox's CA, for SSL_CERT_FILE: the demo apps have no CA setting);
#   - a playbook whose name contains "fail" demonstrates a failing SMTP test: it must handle the failure
#     itself (ignore_errors/rescue) and show the diagnosis and the untouched file.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python
DEMO_DIR=$ROOT/demo/output
export ANSIBLE_COLLECTIONS_PATH=$ROOT/.collections
export ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-0}
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_DISPLAY_OK_HOSTS=true
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
cp -a "$ROOT/demo/files/." "$DEMO_DIR/"

PIDFILE=$DEMO_DIR/sandbox.pid
STATE=$DEMO_DIR/sandbox-state.json
stop_sandbox() { PYTHONPATH=$ROOT/tests "$PY" -m smtp_sandbox stop --pidfile "$PIDFILE" >/dev/null 2>&1 || true; }
trap stop_sandbox EXIT
PYTHONPATH=$ROOT/tests "$PY" -m smtp_sandbox start --scenarios "$ROOT/demo/sandbox.json" --state "$STATE" \
  --record-dir "$DEMO_DIR/sandbox-records" --pidfile "$PIDFILE" >/dev/null
"$PY" - "$STATE" "$DEMO_DIR" > "$DEMO_DIR/demo-vars.json" <<'PYEOF'
import json, sys
state = json.load(open(sys.argv[1]))
json.dump({"sandbox": state, "demo_dir": sys.argv[2]}, sys.stdout)
PYEOF
echo "== SMTP sandbox running:"
"$PY" -c 'import json,sys; [print("   %-22s %s" % (k, v["server"])) for k, v in json.load(open(sys.argv[1])).items()]' "$STATE"

INVENTORY="localhost ansible_connection=local ansible_python_interpreter=$PY"
printf '[demo]\n%s\n' "$INVENTORY" > "$DEMO_DIR/inventory.ini"
for playbook in "$ROOT"/demo/playbooks/*.yml; do
  echo
  echo "================================================================================"
  echo "== $(basename "$playbook")"
  echo "================================================================================"
  "$VENV/bin/ansible-playbook" -i "$DEMO_DIR/inventory.ini" -e "@$DEMO_DIR/demo-vars.json" "$playbook"
done
echo
echo "Demo finished. Files edited by the demo are in $DEMO_DIR"
