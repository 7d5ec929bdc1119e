#!/usr/bin/env bash
# Run `molecule test` for every scenario under extensions/molecule/ (run by `make molecule`).
#
#   scripts/molecule.sh [scenario ...]      (default: every directory with a molecule.yml)
#
# Offline on localhost, per CONVENTIONS.md: molecule runs from the collection root (where it looks for
# extensions/molecule/), with the venv's bin/ on PATH (molecule calls ansible-config) and
# ANSIBLE_COLLECTIONS_PATH pointing at the .collections link tree above the working tree.
# Exits non-zero if any scenario fails; with no scenario at all it says so and exits 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
BIN="$VENV/bin"
SCENARIOS_DIR="$ROOT/extensions/molecule"

export PATH="$BIN:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

for tool in molecule ansible-config ansible-playbook; do
    command -v "$tool" >/dev/null || { echo "molecule.sh: $tool not found (run 'make venv')" >&2; exit 2; }
done
if [[ ! -d "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/mailops/smtp/plugins" ]]; then
    echo "molecule.sh: $ANSIBLE_COLLECTIONS_PATH/ansible_collections/mailops/smtp is missing (run 'make collection')" >&2
    exit 2
fi

scenarios=("$@")
if [[ ${#scenarios[@]} -eq 0 && -d "$SCENARIOS_DIR" ]]; then
    while IFS= read -r file; do
        scenarios+=("$(basename "$(dirname "$file")")")
    done < <(find "$SCENARIOS_DIR" -mindepth 2 -maxdepth 2 -name molecule.yml | sort)
fi
if [[ ${#scenarios[@]} -eq 0 ]]; then
    echo "molecule.sh: no molecule scenarios under extensions/molecule/ yet; nothing to test"
    exit 0
fi

cd "$ROOT"
failed=()
summary=()
for scenario in "${scenarios[@]}"; do
    if [[ ! -f "$SCENARIOS_DIR/$scenario/molecule.yml" ]]; then
        echo "molecule.sh: no scenario $scenario (extensions/molecule/$scenario/molecule.yml)" >&2
        failed+=("$scenario")
        continue
    fi
    echo "== molecule test -s $scenario"
    start=$(date +%s)
    if molecule test -s "$scenario"; then
        result=passed
    else
        result=FAILED
        failed+=("$scenario")
    fi
    summary+=("$scenario: $result in $(( $(date +%s) - start ))s")
done

printf 'molecule.sh: %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "molecule.sh: failed scenario(s): ${failed[*]}" >&2
    exit 1
fi
echo "molecule.sh: all ${#scenarios[@]} scenario(s) passed"
