#!/usr/bin/env bash
# Module reference pages: docs/modules/<module>.md and docs/modules/README.md (run by `make docs` / `make docs-check`),
# and every list of apps outside the profiles (scripts/gen_app_lists.py: the doc fragment's app choices and
# descriptions and the apps' own options, the module description, the README app table, the role's app choices and
# service map).
#
#   scripts/docs.sh generate   write the app lists from the app registry, then the pages from each module's
#                              DOCUMENTATION/EXAMPLES/RETURN
#   scripts/docs.sh check      fail, naming the stale files, if an app list differs from the registry; regenerate the
#                              pages into a temp dir and fail, listing the stale pages, if docs/modules differs
#
# The pages come from `ansible-doc --json` (doc fragments merged) through scripts/gen_module_docs.py.
# The role's module options (meta/argument_specs.yml and the module_defaults of tasks/main.yml) come from the
# modules' argument specs through scripts/gen_role_options.py, generated and checked here too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
BIN="$VENV/bin"
DOCS="$ROOT/docs/modules"

export PATH="$BIN:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

usage() { echo "usage: $0 generate|check" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
if [[ ! -d "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/mailops/smtp/plugins" ]]; then
    echo "docs.sh: $ANSIBLE_COLLECTIONS_PATH/ansible_collections/mailops/smtp is missing (run 'make collection')" >&2
    exit 2
fi

generate() {  # generate DIR: a fresh set of pages in DIR
    "$BIN/python" "$ROOT/scripts/gen_module_docs.py" "$1"
}

case "$1" in
    generate)
        "$BIN/python" "$ROOT/scripts/gen_app_lists.py" generate
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        generate "$tmp/modules"
        mkdir -p "$DOCS"
        # pages of modules that no longer exist go away
        for page in "$DOCS"/*.md; do
            if [[ -e "$page" && ! -e "$tmp/modules/$(basename "$page")" ]]; then
                rm -f "$page"
                echo "docs.sh: removed $page"
            fi
        done
        cp "$tmp"/modules/*.md "$DOCS"/
        echo "docs.sh: docs/modules is up to date"
        "$BIN/python" "$ROOT/scripts/gen_role_options.py" generate
        ;;
    check)
        "$BIN/python" "$ROOT/scripts/gen_app_lists.py" check
        tmp="$(mktemp -d)"
        trap 'rm -rf "$tmp"' EXIT
        generate "$tmp/modules" >/dev/null
        stale=()
        for page in "$tmp"/modules/*.md; do
            name="$(basename "$page")"
            if [[ ! -f "$DOCS/$name" ]]; then
                stale+=("docs/modules/$name (missing)")
            elif ! cmp -s "$page" "$DOCS/$name"; then
                stale+=("docs/modules/$name (out of date)")
            fi
        done
        for page in "$DOCS"/*.md; do
            if [[ -e "$page" && ! -e "$tmp/modules/$(basename "$page")" ]]; then
                stale+=("docs/modules/$(basename "$page") (no such module)")
            fi
        done
        if [[ ${#stale[@]} -gt 0 ]]; then
            echo "docs.sh: the module reference pages are stale:" >&2
            printf '  %s\n' "${stale[@]}" >&2
            echo "Run 'make docs' (scripts/docs.sh generate) and commit docs/modules/." >&2
            exit 1
        fi
        echo "docs.sh: docs/modules matches the module documentation"
        "$BIN/python" "$ROOT/scripts/gen_role_options.py" check
        ;;
    *) usage ;;
esac
