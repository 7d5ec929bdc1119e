#!/usr/bin/env bash
# make bench: our modules side by side with what users would otherwise run. See bench/README.md.
# Not part of `make test`. Needs: make venv collection system-deps (the Makefile target does them first).
set -euo pipefail
export BENCH_T0="${BENCH_T0:-$(date +%s)}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
OUT="$HERE/output"
BENCH_VENV="${BENCH_VENV:-$OUT/venv}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PYTHON_BASE="${PYTHON_BASE:-$(command -v python3.11 || command -v python3)}"
export BENCH_VENV

for tool in swaks /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run scripts/system-deps.sh; /usr/bin/time is Debian's 'time')" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "bench: $PY missing: run 'make venv collection' first" >&2; exit 1; }
[ -e "$ROOT/.collections/ansible_collections/mailops/smtp" ] || { echo "bench: run 'make collection' first" >&2; exit 1; }

# The bench virtualenv: ansible from PyPI (for community.general), pinned; rebuilt when the pins change.
mkdir -p "$OUT"
stamp="$BENCH_VENV/.installed"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$HERE/requirements-bench.txt"; then
  echo "bench: creating $BENCH_VENV (ansible from PyPI)"
  rm -rf "$BENCH_VENV"
  "$PYTHON_BASE" -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-bench.txt"
  cp "$HERE/requirements-bench.txt" "$stamp"
fi

# Run with a clean ANSIBLE_* environment: the harness sets what each playbook needs.
unset ANSIBLE_COLLECTIONS_SCAN_SYS_PATH ANSIBLE_CONFIG
exec "$PY" "$HERE/bench.py" "$@"
