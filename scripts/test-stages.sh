#!/usr/bin/env bash
# Runs the `make test` stages in order, each logged under tests/output/make-test/, and ends with every test
# runner's own summary line, so the end of `.ci/run` says what ran and how it went.
# Stops at the first failing stage (its log tail is shown) — a red stage is never reported as green.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOGS=$ROOT/tests/output/make-test
mkdir -p "$LOGS"
summaries=()

summary_of() {  # the runner's own verdict line(s) in a stage log
    case "$1" in
        ruff) grep -E '^All checks passed|Found [0-9]+ error' "$2" | tail -1 ;;
        ansible-lint) grep -E 'Passed: |Failed: |passed|failure' "$2" | tail -1 ;;
        docs-check) grep -E '^docs.sh:' "$2" | tail -1 ;;
        artifact) grep -E '^artifact_check.py: (OK|FAILED)' "$2" | tail -1 ;;
        sanity) grep -E '^sanity.sh:' "$2" | tail -2 | paste -sd ';' ;;
        units|integration) grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$2" | tail -1 ;;
        molecule) grep -E '^molecule.sh: (all|.*FAILED)' "$2" | tail -1 ;;
    esac
}

for stage in "$@"; do
    log=$LOGS/$stage.log
    echo "== make $stage (log: ${log#"$ROOT"/})"
    start=$(date +%s)
    make --no-print-directory -C "$ROOT" "$stage" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    seconds=$(( $(date +%s) - start ))
    line="$(summary_of "$stage" "$log" | sed "s/\x1b\[[0-9;]*m//g")"
    summaries+=("$(printf '%-12s %4ss  %s' "$stage" "$seconds" "${line:-"(exit $status)"}")")
    if [ "$status" -ne 0 ]; then
        echo
        echo "== make test: stage '$stage' FAILED (exit $status)"
        printf '   %s\n' "${summaries[@]}"
        exit "$status"
    fi
done
echo
echo "== make test: summary of every test runner"
printf '   %s\n' "${summaries[@]}"
