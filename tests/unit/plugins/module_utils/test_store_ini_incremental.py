# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IniStore updates its line classification incrementally: after any sequence of set/delete the store must behave
exactly like a store freshly parsed from its own rendering (same classification, same values, same next edits)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniLayout
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore

BASE = (
    "app_mode = production\n"
    ";[smtp]\n"
    ";host = localhost:25\n"
    ";user =\n"
    "[server]\n"
    "http_port = 3000 ; port\n"
    ";root_url = x\n"
    "[smtp]\n"
    ";enabled = false\n"
    "host = a:25\n"
    "#from_name = Grafana\n"
    ";[emails]\n"
    ";welcome = false\n"
)

SECTIONS = st.sampled_from([None, "smtp", "server", "emails", "new"])
KEYS = st.sampled_from(["host", "user", "enabled", "from_name", "welcome", "root_url", "http_port", "x"])
VALUES = st.sampled_from(["", "v", "a;b", "true", " pad ", "1"])
OPS = st.lists(st.tuples(st.booleans(), SECTIONS, KEYS, VALUES), max_size=12)


def state(store):
    return [(line.text, line.eol, line.kind, line.key, line.name, line.section, line.region, line.region_commented,
             line.match.group(0) if line.match else None) for line in store._lines]


@settings(max_examples=300, deadline=None)
@given(ops=OPS, text=st.sampled_from([BASE, BASE.rstrip("\n"), "", "[smtp]\r\nhost = a\r\n"]))
def test_incremental_classification_matches_a_fresh_parse(ops, text):
    store = IniStore.parse(text)
    for is_set, section, key, value in ops:
        if is_set:
            store.set((section, key), value)
        else:
            store.delete((section, key))
        fresh = IniStore.parse(store.render())
        assert state(store) == state(fresh)


# With the go-ini layout (Grafana: continuation lines on; Gitea: off), lines inside a multi-line value are "tail"
# lines and go with their key when it is rewritten or deleted: the same invariant holds.
LAYOUT_BASE = (
    "[server]\n"
    "root_url = `https://a\n"
    "[smtp]\n"
    "host = b`\n"
    "[smtp] with words\n"
    "host = a:25\\\n"
    "  b\n"
    "user = \"\"\"u\n"
    "v\"\"\"\n"
    ";from_name = x\n"
    "[emails]\n"
    "welcome = true\n"
)


@settings(max_examples=300, deadline=None)
@given(ops=OPS, text=st.sampled_from([LAYOUT_BASE, LAYOUT_BASE.replace("  b\n", "b\n").rstrip("\n")]),
       continuation=st.booleans())
def test_incremental_classification_with_the_go_ini_layout_matches_a_fresh_parse(ops, text, continuation):
    layout = GoIniLayout(continuation=continuation, app="Grafana")
    if not continuation:
        text = text.replace("\\\n  b\n", "\n").replace("\\\nb\n", "\n")
    store = IniStore.parse(text, layout=layout)
    for is_set, section, key, value in ops:
        if is_set:
            store.set((section, key), value)
        else:
            store.delete((section, key))
        fresh = IniStore.parse(store.render(), layout=layout)
        assert state(store) == state(fresh)
