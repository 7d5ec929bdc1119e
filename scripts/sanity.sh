#!/usr/bin/env bash
# ansible-test sanity for mailops.smtp, offline except for the package index (run by `make sanity`).
#
#   scripts/sanity.sh [extra ansible-test sanity options, e.g. --test validate-modules -v]
#
# 1. antsibull-changelog lint on the working tree (changelogs/ fragments and config).
# 2. Copy the git-tracked and untracked-but-not-ignored files into <tmp>/ansible_collections/mailops/smtp/
#    (a copy, not links: ansible-test resolves the working directory and the collection root from it).
# 3. Pre-seed ansible-test's pip bootstrap cache (scripts/seed_get_pip.py): `--venv` would otherwise download
#    get-pip.py from a host this network cannot reach.
# 4. `ansible-test sanity --venv --python 3.11`: every test that applies, nothing skipped by us, and
#    tests/sanity/ignore-*.txt must stay empty. Exits non-zero on any failure.
#
# Speed: the per-test virtual environments are cached by ansible-test under ~/.ansible/test/venv/, so only the
# first run installs them (cold: about 2 minutes on an idle 2-CPU machine, 10 under heavy load); later runs
# only copy the tree and run the tests (warm: 15-20 s idle, 3 minutes under heavy load).
#
# Tests ansible-test itself skips, and why (none is skipped by this script; the run ends with the list that
# ansible-test reported as skipped, read from its junit output):
#   - 24 sanity tests apply to a collection under ansible-core 2.19; the others (package-data, mypy,
#     boilerplate, bin-symlinks, integration-aliases ...) are ansible-core-only, so ansible-test does not list them.
#   - "No tests applicable": a test with no files of its kind is reported skipped; today pslint (no PowerShell
#     files) and empty-init (no __init__.py under plugins/modules or plugins/module_utils).
#   - shellcheck runs only when the shellcheck binary is installed; this script installs it with apt-get
#     (as root or with passwordless sudo) like scripts/system-deps.sh does, else warns that it will be skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
BIN="$VENV/bin"
SANITY_PYTHON="${SANITY_PYTHON:-3.11}"
NAMESPACE=mailops
NAME=smtp

export PATH="$BIN:$PATH"
# ansible-test picks its own collection search path from the copy; the working-tree link must not shadow it.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS

for tool in ansible-test antsibull-changelog rsync; do
    command -v "$tool" >/dev/null || { echo "sanity.sh: $tool not found (run 'make venv')" >&2; exit 2; }
done

stamp() { date +%s; }
t0=$(stamp)

# Ignore files must stay empty: a rule that needs an exception gets fixed instead.
shopt -s nullglob
for ignore in "$ROOT"/tests/sanity/ignore-*.txt; do
    if grep -qv '^[[:space:]]*\(#.*\)\?$' "$ignore"; then
        echo "sanity.sh: $ignore is not empty; fix the code instead of ignoring the sanity error:" >&2
        grep -v '^[[:space:]]*\(#.*\)\?$' "$ignore" >&2
        exit 1
    fi
done
shopt -u nullglob

# ansible-test skips its shellcheck test when the binary is missing: install it the way system-deps.sh does.
if ! command -v shellcheck >/dev/null; then
    if [[ "$(id -u)" -eq 0 ]]; then SUDO=(); else SUDO=(sudo -n); fi
    if command -v apt-get >/dev/null && { [[ ${#SUDO[@]} -eq 0 ]] || sudo -n true 2>/dev/null; }; then
        echo "== installing shellcheck (apt-get)"
        "${SUDO[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
    else
        echo "sanity.sh: WARNING: shellcheck is missing and cannot be installed here;" \
             "ansible-test will skip its shellcheck test" >&2
    fi
fi

echo "== antsibull-changelog lint"
(cd "$ROOT" && antsibull-changelog lint)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailops-sanity.XXXXXX")"
if [[ -z "${KEEP_SANITY_TREE:-}" ]]; then
    trap 'rm -rf "$WORK"' EXIT
else
    echo "sanity.sh: keeping $WORK"
fi
DEST="$WORK/ansible_collections/$NAMESPACE/$NAME"
mkdir -p "$DEST"

echo "== copying the collection to $DEST"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked files (minus ones deleted in the working tree) + untracked files that .gitignore does not ignore
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
        | (cd "$ROOT" && while IFS= read -r -d '' path; do
               if [[ -e "$path" || -L "$path" ]]; then printf '%s\0' "$path"; fi
           done) \
        | rsync -a --from0 --files-from=- "$ROOT/" "$DEST/"
else
    # not a git checkout (e.g. an unpacked tarball): copy everything except local build and test state
    rsync -a --exclude=/.git --exclude=/.venv --exclude=/.collections --exclude=/build \
        --exclude=/tests/output --exclude=__pycache__ --exclude=.pytest_cache --exclude=.ruff_cache \
        --exclude=.hypothesis "$ROOT/" "$DEST/"
fi

echo "== seeding ansible-test's pip bootstrap cache"
"$BIN/python" "$ROOT/scripts/seed_get_pip.py" --python-version "$SANITY_PYTHON"

t1=$(stamp)
echo "== ansible-test sanity --venv --python $SANITY_PYTHON $*"
status=0
(cd "$DEST" && ansible-test sanity --venv --python "$SANITY_PYTHON" --junit "$@") || status=$?
t2=$(stamp)

# What ansible-test skipped on its own, and its reason (from the junit reports).
"$BIN/python" - "$DEST/tests/output/junit" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
skipped = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.xml"))):
    for case in ET.parse(path).iter("testcase"):
        for skip in case.iter("skipped"):
            skipped.append("%s (%s)" % (case.get("name"), (skip.text or skip.get("message") or "").strip()))
print("sanity.sh: skipped by ansible-test: %s" % ("; ".join(skipped) or "none"))
PY

echo "sanity.sh: changelog lint + copy $((t1 - t0))s, ansible-test sanity $((t2 - t1))s"
if [[ $status -ne 0 ]]; then
    echo "sanity.sh: ansible-test sanity FAILED (exit $status)" >&2
    exit "$status"
fi
echo "sanity.sh: all sanity tests passed"
