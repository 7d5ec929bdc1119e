"""PhpStore: surgical edits of Nextcloud's $CONFIG array, every written file checked by php itself."""

import json
import os
import subprocess
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.php import PhpStore

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


VAR_EXPORT = fixture("nextcloud/config.php")
HANDWRITTEN = fixture("nextcloud/config.handwritten.php")
SAMPLE = fixture("nextcloud/config.sample.php")
NO_VERIFY = {"ssl": {"verify_peer": False, "verify_peer_name": False, "allow_self_signed": True}}


FIXTURE_CONFIGS = {}


def php_config(text):
    """``php -l`` the text, then return ``$CONFIG`` as PHP's json_encode sees it."""
    if text in FIXTURE_CONFIGS:
        return json.loads(FIXTURE_CONFIGS[text])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.php")
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        lint = subprocess.run(["php", "-l", path], capture_output=True, text=True, check=False)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        run = subprocess.run(["php", "-r", 'include $argv[1]; echo json_encode($CONFIG, JSON_PRESERVE_ZERO_FRACTION);',
                              path], capture_output=True, text=True, check=True)
        if text in (VAR_EXPORT, HANDWRITTEN):
            FIXTURE_CONFIGS[text] = run.stdout
        return json.loads(run.stdout)


def test_fixtures_are_valid_php():
    assert php_config(VAR_EXPORT)["mail_smtpport"] == "465"
    assert php_config(HANDWRITTEN)["mail_smtpport"] == 25


@pytest.mark.parametrize("text", [VAR_EXPORT, HANDWRITTEN, SAMPLE])
def test_parse_render_and_same_values_keep_bytes(text):
    store = PhpStore.parse(text)
    assert store.render() == text
    for key in ("mail_smtpmode", "mail_smtphost", "mail_smtpport", "mail_smtpauth", "mail_smtpsecure",
                "mail_smtpname", "mail_smtppassword", "mail_smtpstreamoptions", "trusted_domains"):
        current = store.get(("CONFIG", key))
        if current is not None:
            store.set(("CONFIG", key), current)
    assert store.render() == text


@pytest.mark.parametrize("text", [VAR_EXPORT, HANDWRITTEN])
def test_get_agrees_with_php(text):
    expected = php_config(text)
    store = PhpStore.parse(text)
    for key, value in expected.items():
        assert store.get(("CONFIG", key)) == value, key


@pytest.mark.parametrize("path, expected", [
    (("CONFIG", "mail_smtpport"), 25),
    (("CONFIG", "mail_smtpauth"), False),
    (("CONFIG", "mail_smtpstreamoptions"), []),
    (("CONFIG", "mail_smtphost"), "127.0.0.1"),
    (("CONFIG", "trusted_domains", "0"), "demo.example.org"),
    (("CONFIG", "nosuchkey"), None),
    (("OTHER", "x"), None),
])
def test_get_from_the_real_sample(path, expected):
    assert PhpStore.parse(SAMPLE).get(path) == expected


def test_expressions_are_reported_not_guessed():
    store = PhpStore.parse(SAMPLE)
    with pytest.raises(StoreError) as info:
        store.get(("CONFIG", "redis.cluster"))
    assert "line" in str(info.value)


def test_var_export_style_edit():
    store = PhpStore.parse(VAR_EXPORT)
    store.set(("CONFIG", "mail_smtphost"), "smtp.example.com")
    store.set(("CONFIG", "mail_smtpport"), 587)
    store.set(("CONFIG", "mail_smtpauth"), True)
    store.set(("CONFIG", "mail_smtpsecure"), "")
    store.set(("CONFIG", "mail_smtppassword"), "it's a \\secret\\")
    store.set(("CONFIG", "mail_smtpstreamoptions"), NO_VERIFY)
    out = store.render()
    before, after = VAR_EXPORT.splitlines(), out.splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed[:5] == [
        ("  'mail_smtpsecure' => 'ssl',", "  'mail_smtpsecure' => '',"),
        ("  'mail_smtpauth' => 1,", "  'mail_smtpauth' => true,"),
        ("  'mail_smtphost' => 'smtp.files.example.net',", "  'mail_smtphost' => 'smtp.example.com',"),
        ("  'mail_smtpport' => '465',", "  'mail_smtpport' => 587,"),
        ("  'mail_smtppassword' => '{{nc_mail_password}}',", "  'mail_smtppassword' => 'it\\'s a \\\\secret\\\\',"),
    ]
    assert out.endswith(
        "  'theme' => '',\n"
        "  'mail_smtpstreamoptions' => \n"
        "  array (\n"
        "    'ssl' => \n"
        "    array (\n"
        "      'verify_peer' => false,\n"
        "      'verify_peer_name' => false,\n"
        "      'allow_self_signed' => true,\n"
        "    ),\n"
        "  ),\n"
        ");\n")
    config = php_config(out)
    assert config["mail_smtppassword"] == "it's a \\secret\\"
    assert config["mail_smtpport"] == 587 and config["mail_smtpauth"] is True
    assert config["mail_smtpstreamoptions"] == NO_VERIFY
    original = php_config(VAR_EXPORT)
    for key, value in original.items():
        if not key.startswith("mail_smtp"):
            assert config[key] == value


def test_handwritten_style_edit_replaces_empty_array_in_place():
    store = PhpStore.parse(HANDWRITTEN)
    store.set(("CONFIG", "mail_smtpstreamoptions"), NO_VERIFY)
    store.set(("CONFIG", "mail_smtpauth"), True)
    store.set(("CONFIG", "mail_smtppassword"), "pw")
    store.set(("CONFIG", "mail_sendmailmode"), "smtp")
    out = store.render()
    assert ("'mail_smtpstreamoptions' => array(\n\t'ssl' => array(\n\t\t'verify_peer' => false,\n"
            "\t\t'verify_peer_name' => false,\n\t\t'allow_self_signed' => true,\n\t),\n),\n") in out
    assert "'mail_smtpauth' => true,\n" in out
    assert "'mail_smtppassword' => 'pw',\n" in out
    assert out.endswith("'login_form_autocomplete' => true,\n'mail_sendmailmode' => 'smtp',\n);\n")
    # the doc blocks and comments are byte-identical
    for comment in ("/**\n * The domain after the \"@\" of the sender.", "// Log the SMTP dialogue.",
                    "# smtp, sendmail or qmail.", "/* With smtp: the host"):
        assert comment in out
    config = php_config(out)
    assert config["mail_smtpstreamoptions"] == NO_VERIFY
    assert config["mail_sendmailmode"] == "smtp"
    assert config["log.condition"] == php_config(HANDWRITTEN)["log.condition"]


def test_the_real_sample_passes_php_lint_after_edits():
    store = PhpStore.parse(SAMPLE)
    store.set(("CONFIG", "mail_smtphost"), "mx.example.com")
    store.set(("CONFIG", "mail_smtpstreamoptions"), NO_VERIFY)
    store.set(("CONFIG", "mail_new_key"), 1)
    out = store.render()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.php")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(out)
        assert subprocess.run(["php", "-l", path], capture_output=True, check=False).returncode == 0
    assert PhpStore.parse(out).get(("CONFIG", "mail_smtpstreamoptions")) == NO_VERIFY
    removed = [line for line in SAMPLE.splitlines() if line not in out.splitlines()]
    assert removed == ["'mail_smtphost' => '127.0.0.1',", "'mail_smtpstreamoptions' => array(),"]


@pytest.mark.parametrize("text, expected_tail", [
    ("<?php\n$CONFIG = array (\n  'a' => 1,\n);\n", "  'a' => 1,\n  'b' => 'x',\n);\n"),
    ("<?php\n$CONFIG = [\n    'a' => 1\n];\n", "    'a' => 1,\n    'b' => 'x'\n];\n"),
    ("<?php\n$CONFIG = array('a' => 1);\n", "array('a' => 1, 'b' => 'x');\n"),
    ("<?php\n$CONFIG = array(\n  'a' => 1, // one\n);\n", "  'a' => 1, // one\n  'b' => 'x',\n);\n"),
    ("<?php\n$CONFIG = array();\n", "array(\n\t'b' => 'x',\n);\n"),
    ("<?php\n$CONFIG = array(\n  // nothing yet\n);\n", "  // nothing yet\n\t'b' => 'x',\n);\n"),
])
def test_new_entries_follow_neighbours_and_trailing_comma(text, expected_tail):
    store = PhpStore.parse(text)
    store.set(("CONFIG", "b"), "x")
    out = store.render()
    assert out.endswith(expected_tail)
    assert php_config(out)["b"] == "x"


def test_empty_text_creates_a_config_file():
    store = PhpStore.parse("")
    store.set(("CONFIG", "mail_smtphost"), "mx")
    assert store.render() == "<?php\n$CONFIG = array (\n  'mail_smtphost' => 'mx',\n);\n"
    assert php_config(store.render()) == {"mail_smtphost": "mx"}


def test_file_without_the_variable_is_an_error():
    store = PhpStore.parse("<?php\n$OTHER = array();\n")
    with pytest.raises(StoreError):
        store.set(("CONFIG", "a"), 1)
    assert store.get(("CONFIG", "a")) is None


def test_nested_set_and_delete():
    store = PhpStore.parse(VAR_EXPORT)
    store.set(("CONFIG", "redis", "password"), "pw")
    store.set(("CONFIG", "mail_smtpstreamoptions", "ssl", "verify_peer"), False)
    store.delete(("CONFIG", "mail_smtpauthtype"))
    store.delete(("CONFIG", "theme"))          # last entry
    store.delete(("CONFIG", "nosuch"))
    config = php_config(store.render())
    assert config["redis"] == {"host": "cache", "port": 6379, "password": "pw"}
    assert config["mail_smtpstreamoptions"] == {"ssl": {"verify_peer": False}}
    assert "mail_smtpauthtype" not in config and "theme" not in config
    with pytest.raises(StoreError):
        store.set(("CONFIG", "mail_smtphost", "x"), 1)


@pytest.mark.parametrize("text, line", [
    ("<?php\n$CONFIG = array(\n  'a' => 'secret-value,\n", 3),
    ("<?php\n$CONFIG = array(\n  'a' => 1\n  'b' => 2,\n);\n", 4),
    ("<?php\n/* never closed\n$CONFIG = array();\n", 2),
])
def test_malformed_php_reports_line_without_values(text, line):
    with pytest.raises(StoreError) as info:
        PhpStore.parse(text, variable="CONFIG")
    assert "line %d" % line in str(info.value)
    assert "secret" not in str(info.value)


def test_crlf_kept():
    text = VAR_EXPORT.replace("\n", "\r\n")
    store = PhpStore.parse(text)
    store.set(("CONFIG", "mail_smtpstreamoptions"), NO_VERIFY)
    store.set(("CONFIG", "mail_smtphost"), "mx")
    out = store.render()
    assert "\n" not in out.replace("\r\n", "")
    assert php_config(out)["mail_smtpstreamoptions"] == NO_VERIFY


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=25)
SCALAR = st.one_of(TEXT, st.integers(-2**31, 2**31), st.booleans(), st.none())
VALUE = st.one_of(SCALAR, st.dictionaries(st.from_regex(r"\A[a-z_]{1,8}\Z"), SCALAR, min_size=1, max_size=3))
KEY = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12) \
    .filter(lambda key: not key.lstrip("-").isdigit() and key.strip() == key)


@settings(max_examples=15, deadline=None)
@given(values=st.dictionaries(KEY, VALUE, min_size=1, max_size=8), base=st.sampled_from([VAR_EXPORT, HANDWRITTEN]))
def test_property_batch_set_agrees_with_php(values, base):
    store = PhpStore.parse(base)
    for key, value in values.items():
        store.set(("CONFIG", key), value)
    out = store.render()
    reread = PhpStore.parse(out)
    for key, value in values.items():
        assert reread.get(("CONFIG", key)) == value
    config = php_config(out)
    original = php_config(base)
    for key, value in values.items():
        assert config[key] == value
    for key, value in original.items():
        if key not in values:
            assert config[key] == value
