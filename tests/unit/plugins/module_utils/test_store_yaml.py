"""YamlStore: surgical block-YAML edits (Redmine, Discourse), every result checked with PyYAML."""

import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.yaml import YamlStore, encode_scalar

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def load(text):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders


REDMINE = fixture("redmine/configuration.yml.example")
DISCOURSE = fixture("discourse/standalone.yml")


@pytest.mark.parametrize("text", [REDMINE, DISCOURSE])
def test_parse_render_is_byte_identical(text):
    assert YamlStore.parse(text).render() == text


@pytest.mark.parametrize("text, path", [
    (DISCOURSE, ("env", "DISCOURSE_SMTP_ADDRESS")),
    (DISCOURSE, ("env", "DISCOURSE_SMTP_PASSWORD")),
    (DISCOURSE, ("env", "DISCOURSE_HOSTNAME")),
    (DISCOURSE, ("params", "db_default_text_search_config")),
    (REDMINE, ("default", "email_delivery")),
    (REDMINE, ("default", "autologin_cookie_secure")),
])
def test_setting_the_current_value_changes_nothing(text, path):
    store = YamlStore.parse(text)
    store.set(path, store.get(path))
    assert store.render() == text


@pytest.mark.parametrize("text, path, expected", [
    (DISCOURSE, ("env", "DISCOURSE_SMTP_ADDRESS"), "smtp.example.com"),
    (DISCOURSE, ("env", "DISCOURSE_SMTP_PASSWORD"), "pa$$word"),
    (DISCOURSE, ("env", "DISCOURSE_SMTP_PORT"), None),
    (DISCOURSE, ("env", "LANG"), "en_US.UTF-8"),
    (DISCOURSE, ("templates",), yaml.safe_load(DISCOURSE)["templates"]),
    (REDMINE, ("default", "email_delivery"), None),
    (REDMINE, ("production",), None),
    (REDMINE, ("nosuch", "key"), None),
])
def test_get_agrees_with_pyyaml(text, path, expected):
    assert YamlStore.parse(text).get(path) == expected


def test_discourse_commented_samples_replaced_in_place():
    store = YamlStore.parse(DISCOURSE)
    store.set(("env", "DISCOURSE_SMTP_ADDRESS"), "mail.example.org")
    store.set(("env", "DISCOURSE_SMTP_PORT"), "587")
    store.set(("env", "DISCOURSE_SMTP_PASSWORD"), "#new pass#")
    store.set(("env", "DISCOURSE_SMTP_OPENSSL_VERIFY_MODE"), "none")
    out = store.render()
    before, after = DISCOURSE.splitlines(), out.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [
        ("  DISCOURSE_SMTP_ADDRESS: smtp.example.com", "  DISCOURSE_SMTP_ADDRESS: mail.example.org"),
        ("  #DISCOURSE_SMTP_PORT: 587", '  DISCOURSE_SMTP_PORT: "587"'),
        ('  DISCOURSE_SMTP_PASSWORD: "pa$$word"', '  DISCOURSE_SMTP_PASSWORD: "#new pass#"'),
        ("  #DISCOURSE_SMTP_OPENSSL_VERIFY_MODE: peer # peer|none",
         "  DISCOURSE_SMTP_OPENSSL_VERIFY_MODE: none # peer|none"),
    ]
    env = yaml.safe_load(out)["env"]
    assert env["DISCOURSE_SMTP_PORT"] == "587"
    assert env["DISCOURSE_SMTP_PASSWORD"] == "#new pass#"
    assert env["DISCOURSE_SMTP_OPENSSL_VERIFY_MODE"] == "none"


def test_discourse_new_key_goes_after_the_last_entry():
    store = YamlStore.parse(DISCOURSE)
    store.set(("env", "DISCOURSE_SMTP_ENABLE_START_TLS"), "true")
    out = store.render()
    lines = out.splitlines()
    index = lines.index('  DISCOURSE_SMTP_ENABLE_START_TLS: "true"')
    assert lines[index - 1] == '  DISCOURSE_SMTP_PASSWORD: "pa$$word"'
    assert yaml.safe_load(out)["env"]["DISCOURSE_SMTP_ENABLE_START_TLS"] == "true"
    assert [line for line in lines if line != lines[index]] == DISCOURSE.splitlines()


def test_redmine_settings_created_below_the_active_key_above_the_examples():
    store = YamlStore.parse(REDMINE)
    base = ("default", "email_delivery")
    store.set(base + ("delivery_method",), ":smtp")
    settings_path = base + ("smtp_settings",)
    store.set(settings_path + ("address",), "smtp.example.com")
    store.set(settings_path + ("port",), 587)
    store.set(settings_path + ("authentication",), ":login")
    store.set(settings_path + ("user_name",), "redmine@example.com")
    store.set(settings_path + ("password",), "it's: a #secret")
    store.set(settings_path + ("enable_starttls_auto",), True)
    out = store.render()
    lines = out.splitlines()
    start = lines.index("  email_delivery:")
    assert lines[start:start + 10] == [
        "  email_delivery:",
        "    delivery_method: :smtp",
        "    smtp_settings:",
        "      address: smtp.example.com",
        "      port: 587",
        "      authentication: :login",
        "      user_name: redmine@example.com",
        "      password: \"it's: a #secret\"",
        "      enable_starttls_auto: true",
        "",
    ]
    # the commented examples are untouched documentation below the real keys
    assert [line for line in lines if line.lstrip().startswith("#")] == \
        [line for line in REDMINE.splitlines() if line.lstrip().startswith("#")]
    data = yaml.safe_load(out)
    assert data["default"]["email_delivery"] == {
        "delivery_method": ":smtp",
        "smtp_settings": {"address": "smtp.example.com", "port": 587, "authentication": ":login",
                          "user_name": "redmine@example.com", "password": "it's: a #secret",
                          "enable_starttls_auto": True},
    }
    assert data["default"]["attachments_storage_path"] is None


def test_redmine_environment_section_without_value():
    store = YamlStore.parse(REDMINE)
    store.set(("production", "email_delivery", "delivery_method"), ":smtp")
    out = store.render()
    assert "production:\n  email_delivery:\n    delivery_method: :smtp\n" in out
    assert yaml.safe_load(out)["production"] == {"email_delivery": {"delivery_method": ":smtp"}}
    assert yaml.safe_load(out)["development"] is None


def test_ruby_symbols_stay_plain_and_existing_spelling_is_kept():
    text = ('production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
            '      address: "localhost"\n      port: 25\n      authentication: :login\n'
            "      domain: 'example.com'  # HELO\n")
    store = YamlStore.parse(text)
    store.set(("production", "email_delivery", "smtp_settings", "authentication"), ":plain")
    store.set(("production", "email_delivery", "smtp_settings", "address"), "mx.example.com")
    store.set(("production", "email_delivery", "smtp_settings", "domain"), "it's.example.com")
    store.set(("production", "email_delivery", "smtp_settings", "port"), 25)
    out = store.render()
    assert out == ('production:\n  email_delivery:\n    delivery_method: :smtp\n    smtp_settings:\n'
                   '      address: "mx.example.com"\n      port: 25\n      authentication: :plain\n'
                   "      domain: 'it''s.example.com'  # HELO\n")


@pytest.mark.parametrize("value", [
    "true", "False", "yes", "NO", "on", "off", "y", "n", "null", "~", "", "123", "0x1F", "1_000", "1:30", "1.5",
    ".inf", "-.5", "2024-01-01", "<<", "=", ": colon", "trailing:", "a: b", "a #b", "#hash", "- dash", "?q",
    "[list]", "{map}", "&anchor", "*alias", "!tag", "|block", ">fold", "'quoted'", '"dq"', "%pct", "@at",
    "`tick", " lead", "trail ", "tab\there", "ünï ✓", "back\\slash", "\x7f\x85", ":smtp", ":login",
    "smtp.example.com:587", "user@example.com", "pa$$word",
])
def test_encoded_strings_read_back_as_the_same_string(value):
    encoded = encode_scalar(value)
    assert yaml.safe_load("key: " + encoded + "\n") == {"key": value}


@pytest.mark.parametrize("value", [1e-05, 1e20, 0.5, -2.0, 123456789.125])
def test_floats_are_written_as_yaml_1_1_floats(value):
    assert load("key: " + encode_scalar(value) + "\n") == {"key": value}


def test_quoted_merge_like_key_is_an_ordinary_key():
    store = YamlStore.parse('a:\n  "<<": 1\n')
    assert store.get(("a", "<<")) == 1
    store.set(("a", "<<"), 2)
    assert load(store.render()) == {"a": {"<<": 2}}


@pytest.mark.parametrize("value, encoded", [
    (":smtp", ":smtp"), (":login", ":login"), ("smtp.example.com", "smtp.example.com"), (587, "587"),
    (True, "true"), (False, "false"), (None, ""), ("587", '"587"'), ("true", '"true"'),
])
def test_encode_scalar_spelling(value, encoded):
    assert encode_scalar(value) == encoded


@pytest.mark.parametrize("text, path", [
    ("env: {A: 1}\n", ("env", "A")),
    ("env: [1, 2]\n", ("env", "A")),
    ("base: &base\n  A: 1\n", ("base", "A")),
    ("env:\n  A: *alias\n", ("env", "A")),
    ("env:\n  A: |\n    multi\n    line\n", ("env", "A")),
    ("env:\n  A: >\n    folded\n", ("env", "A")),
    ("env:\n  A: plain\n    continued\n", ("env", "A")),
    ('env:\n  A: "open\n    quote"\n', ("env", "A")),
    ("env:\n  A: !!str tagged\n", ("env", "A")),
    ("env:\n  <<: *base\n  A: 1\n", ("env", "A")),
    ("env:\n  A:\n    B: 1\n", ("env", "A")),          # a mapping cannot be replaced by a scalar
    ("env: scalar\n", ("env", "A")),
    ("- a\n- b\n", ("env", "A")),
])
def test_unsupported_shapes_raise_and_leave_text_alone(text, path):
    store = YamlStore.parse(text)
    with pytest.raises(StoreError) as info:
        store.set(path, "new")
    assert "line" in str(info.value)
    assert store.render() == text


@pytest.mark.parametrize("text", [
    "a: 1\n---\nb: 2\n",
    "env:\n\tA: 1\n",
    "--- {a: 1}\n",
])
def test_unsupported_documents_raise_at_parse(text):
    with pytest.raises(StoreError) as info:
        YamlStore.parse(text)
    assert "line" in str(info.value)


def test_document_markers_and_empty_documents():
    store = YamlStore.parse("%YAML 1.1\n---\n# comment\nenv:\n  A: 1\n...\n")
    store.set(("env", "B"), "x")
    assert store.render() == "%YAML 1.1\n---\n# comment\nenv:\n  A: 1\n  B: x\n...\n"
    empty = YamlStore.parse("")
    empty.set(("env", "DISCOURSE_SMTP_ADDRESS"), "mx")
    assert empty.render() == "env:\n  DISCOURSE_SMTP_ADDRESS: mx\n"
    started = YamlStore.parse("---\n")
    started.set(("a", "b"), 1)
    assert started.render() == "---\na:\n  b: 1\n"


def test_indentation_step_of_the_file_is_used():
    store = YamlStore.parse("production:\n    email_delivery:\n        delivery_method: :smtp\n")
    store.set(("production", "email_delivery", "smtp_settings", "address"), "mx")
    assert store.render() == ("production:\n    email_delivery:\n        delivery_method: :smtp\n"
                              "        smtp_settings:\n            address: mx\n")


def test_explicit_null_parent_gets_children():
    store = YamlStore.parse("production: ~ # later\nother: 1\n")
    store.set(("production", "email_delivery", "delivery_method"), ":smtp")
    out = store.render()
    assert yaml.safe_load(out) == {"production": {"email_delivery": {"delivery_method": ":smtp"}}, "other": 1}


def test_compact_sequence_under_a_key():
    text = "list:\n- a\n- b\nenv:\n  A: 1\n"
    store = YamlStore.parse(text)
    assert store.get(("list",)) == ["a", "b"]
    store.set(("env", "B"), 2)
    assert yaml.safe_load(store.render()) == {"list": ["a", "b"], "env": {"A": 1, "B": 2}}


def test_delete_removes_the_key_and_its_block():
    store = YamlStore.parse("a:\n  b:\n    c: 1\n    d: 2\n  e: 3\n")
    store.delete(("a", "b"))
    store.delete(("a", "missing"))
    assert store.render() == "a:\n  e: 3\n"


def test_crlf_kept():
    text = DISCOURSE.replace("\n", "\r\n")
    store = YamlStore.parse(text)
    store.set(("env", "DISCOURSE_SMTP_PORT"), "587")
    store.set(("env", "NEW"), "x")
    out = store.render()
    assert "\n" not in out.replace("\r\n", "")
    assert yaml.safe_load(out)["env"]["NEW"] == "x"


def test_line_breaks_refused_without_echo():
    store = YamlStore.parse(DISCOURSE)
    with pytest.raises(StoreError) as info:
        store.set(("env", "DISCOURSE_SMTP_PASSWORD"), "secret\nvalue")
    assert "secret" not in str(info.value)
    assert store.render() == DISCOURSE


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=30)
SCALAR = st.one_of(TEXT, st.integers(-10**9, 10**9), st.booleans(), st.none(),
                   st.sampled_from([":smtp", ":login", ":plain", "true", "587", "~", "yes", "a: b", "#x"]))
KEY = st.from_regex(r"\A[a-z_][a-z0-9_]{0,12}\Z")


@settings(max_examples=80, deadline=None)
@given(keys=st.lists(KEY, min_size=1, max_size=3), value=SCALAR, fixture_text=st.sampled_from([REDMINE, DISCOURSE]))
def test_property_set_render_parse_get_agrees_with_pyyaml(keys, value, fixture_text):
    top = "default" if fixture_text is REDMINE else "env"
    path = (top,) + tuple(keys)
    store = YamlStore.parse(fixture_text)
    try:
        store.set(path, value)
    except StoreError:
        # only when the path runs into an existing scalar or block that is not a mapping
        node = load(fixture_text)[top]
        for key in keys[:-1]:
            assert isinstance(node, dict) and key in node
            node = node[key]
        assert keys[-1] in node or not isinstance(node, dict) or node is None
        assert store.render() == fixture_text
        return
    out = store.render()
    assert YamlStore.parse(out).get(path) == value
    data = load(out)
    node = data
    for key in path:
        node = node[key]
    assert node == value and type(node) is type(value)
    # every other top-level value is semantically unchanged
    original = load(fixture_text)
    for key in original:
        if key != top:
            assert data[key] == original[key]
    # original lines survive in order, apart from replaced samples and the key's own old line
    kept = [line for line in fixture_text.splitlines() if not any(k in line for k in keys)]
    assert [line for line in out.splitlines() if not any(k in line for k in keys)] == kept


@pytest.mark.parametrize("value", ["-", "- x", "-\tx", "?", "? x", "#note\u2028more", "#note\x85more", "#x\u2029y"])
def test_values_yaml_readers_refuse_are_not_read_as_a_value_or_a_comment(value):
    # A lone "-"/"?" opens a sequence entry or a complex key; NEL/LS/PS end a comment and what follows is content.
    text = "email:\n  smtp_pass: %s\n  smtp_port: 25\n" % value
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    store = YamlStore.parse(text)
    with pytest.raises(StoreError) as info:
        store.get(("email", "smtp_pass"))
    assert "line 2" in str(info.value)
