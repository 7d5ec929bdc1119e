"""JsonStore: Mattermost config.json edits keep order, indentation, escaping and the final newline."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.json import JsonStore

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


CONFIG = fixture("mattermost/config.json")
DEFAULT = fixture("mattermost/default.json")


@pytest.mark.parametrize("text", [CONFIG, DEFAULT])
def test_set_current_value_keeps_text(text):
    store = JsonStore.parse(text)
    for key in ("SMTPServer", "SMTPPort", "ConnectionSecurity", "SendEmailNotifications"):
        store.set(("EmailSettings", key), store.get(("EmailSettings", key)))
    assert store.render() == text


@pytest.mark.parametrize("path, expected", [
    (("EmailSettings", "SMTPPort"), "2500"),
    (("EmailSettings", "SMTPServer"), "dockerhost"),
    (("EmailSettings", "EnableSMTPAuth"), False),
    (("LdapSettings", "ConnectionSecurity"), ""),
    (("EmailSettings", "Missing"), None),
    (("Missing", "Deeper", "Key"), None),
    (("EmailSettings", "SMTPPort", "not-an-object"), None),
])
def test_get(path, expected):
    assert JsonStore.parse(DEFAULT).get(path) == expected


def test_set_changes_only_the_target_lines_and_keeps_order():
    store = JsonStore.parse(CONFIG)
    store.set(("EmailSettings", "SMTPServer"), "smtp.example.com")
    store.set(("EmailSettings", "SMTPPort"), "587")
    store.set(("EmailSettings", "ConnectionSecurity"), "STARTTLS")
    out = store.render()
    before, after = CONFIG.splitlines(), out.splitlines()
    assert len(before) == len(after)
    diff = [(a, b) for a, b in zip(before, after) if a != b]
    assert [b.strip() for _a, b in diff] == ['"SMTPServer": "smtp.example.com",', '"SMTPPort": "587",',
                                             '"ConnectionSecurity": "STARTTLS",']
    data = json.loads(out)
    assert data["LdapSettings"]["ConnectionSecurity"] == json.loads(CONFIG)["LdapSettings"]["ConnectionSecurity"]
    assert list(data) == list(json.loads(CONFIG))
    assert out.endswith("}") == CONFIG.endswith("}")


def test_new_keys_and_missing_objects_are_created():
    store = JsonStore.parse(CONFIG)
    store.set(("EmailSettings", "EnableSMTPAuth"), True)
    store.set(("PluginSettings", "Plugins", "mail", "Port"), 587)
    data = json.loads(store.render())
    assert data["EmailSettings"]["EnableSMTPAuth"] is True
    assert list(data["EmailSettings"])[-1] == "EnableSMTPAuth"
    assert data["PluginSettings"]["Plugins"]["mail"] == {"Port": 587}


def test_set_through_a_scalar_is_refused():
    store = JsonStore.parse(CONFIG)
    with pytest.raises(StoreError):
        store.set(("EmailSettings", "SMTPPort", "x"), "1")
    assert store.render() == CONFIG


@pytest.mark.parametrize("text, indent_line", [
    ('{\n\t"A": {\n\t\t"B": 1\n\t}\n}\n', '\t\t"C": "x"'),
    ('{\n  "A": {\n    "B": 1\n  }\n}', '    "C": "x"'),
    ('{\n    "A": {\n        "B": 1\n    }\n}\n\n', '        "C": "x"'),
])
def test_indentation_and_trailing_newline_are_detected(text, indent_line):
    store = JsonStore.parse(text)
    store.set(("A", "C"), "x")
    out = store.render()
    assert indent_line in out.splitlines()
    trailer = text[len(text.rstrip()):]
    assert out.endswith("}" + trailer)


def test_compact_json_stays_compact():
    store = JsonStore.parse('{"A":{"B":1}}')
    store.set(("A", "B"), 2)
    assert store.render() == '{"A":{"B":2}}'


def test_ascii_escaping_follows_the_original():
    escaped = JsonStore.parse('{\n  "Name": "caf\\u00e9"\n}\n')
    escaped.set(("From",), "Zoë")
    assert '"Zo\\u00eb"' in escaped.render()
    raw = JsonStore.parse('{\n  "Name": "café"\n}\n')
    raw.set(("From",), "Zoë")
    assert '"Zoë"' in raw.render()


def test_delete():
    store = JsonStore.parse(DEFAULT)
    store.delete(("EmailSettings", "SMTPPassword"))
    store.delete(("EmailSettings", "NotThere"))
    store.delete(("Nope", "Nope"))
    data = json.loads(store.render())
    assert "SMTPPassword" not in data["EmailSettings"]
    assert "SMTPUsername" in data["EmailSettings"]


@pytest.mark.parametrize("text, line", [
    ('{\n  "a": 1,\n  "b": "secret-value\n}', 3),
    ('{\n  "a": 1,\n}\n', 3),
])
def test_malformed_json_reports_the_line_but_not_values(text, line):
    with pytest.raises(StoreError) as info:
        JsonStore.parse(text)
    assert "line %d" % line in str(info.value)
    assert "secret" not in str(info.value)


def test_top_level_must_be_an_object():
    with pytest.raises(StoreError):
        JsonStore.parse("[1, 2]")


def test_empty_text_creates_a_document():
    store = JsonStore.parse("")
    store.set(("EmailSettings", "SMTPServer"), "mx")
    assert json.loads(store.render()) == {"EmailSettings": {"SMTPServer": "mx"}}


SCALAR = st.one_of(st.text(max_size=30), st.integers(-10**6, 10**6), st.booleans(), st.none())
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(st.text(max_size=5), SCALAR, max_size=3))
KEYS = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=3)


@settings(max_examples=100, deadline=None)
@given(keys=KEYS, value=VALUE)
def test_property_set_render_parse_get(keys, value):
    base = json.loads(DEFAULT)
    store = JsonStore.parse(DEFAULT)
    path = ("EmailSettings",) + tuple(keys)
    try:
        store.set(path, value)
    except StoreError:
        # only when the path runs through an existing non-object
        assert isinstance(JsonStore.parse(DEFAULT).get(("EmailSettings", keys[0])), (str, int, bool, list))
        return
    out = store.render()
    assert JsonStore.parse(out).get(path) == value
    data = json.loads(out)
    node = data["EmailSettings"]
    for key in keys[:-1]:
        node = node[key]
    assert node[keys[-1]] == value
    # everything else is semantically identical
    for key in base:
        if key != "EmailSettings":
            assert data[key] == base[key]
    for key, old in base["EmailSettings"].items():
        if key != keys[0]:
            assert data["EmailSettings"][key] == old
