"""EnvStore: dotenv edits on Django-style and Mastodon-style files; values checked against bash too."""

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.env import EnvStore, parse_value, quote_value

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


DJANGO = fixture("django/.env.example")
MASTODON = fixture("mastodon/.env.production.sample")


def bash_values(text, keys):
    """What a POSIX shell reads from the file (``set -a; . file``), one value per key."""
    script = 'set -a; . /dev/stdin <<"__MAILOPS_EOF__"\n' + text + "\n__MAILOPS_EOF__\n"
    script += "".join('printf "%%s\\0" "${%s}"\n' % key for key in keys)
    result = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], capture_output=True, check=True,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"})
    return result.stdout.decode("utf-8").split("\0")[:-1]


@pytest.mark.parametrize("text", [DJANGO, MASTODON])
def test_parse_render_and_same_value_keep_bytes(text):
    store = EnvStore.parse(text)
    assert store.render() == text
    for key in ("EMAIL_HOST", "EMAIL_PORT", "SMTP_SERVER", "SMTP_PORT", "SMTP_LOGIN"):
        current = store.get((key,))
        if current is not None:
            store.set((key,), current)
    assert store.render() == text


@pytest.mark.parametrize("text, key, expected", [
    (DJANGO, "EMAIL_PORT", "587"),
    (DJANGO, "EMAIL_USE_TLS", "True"),
    (DJANGO, "EMAIL_HOST", ""),
    (DJANGO, "SMTPD_PORT", None),          # commented out
    (DJANGO, "EMAIL_USE_SSL", None),
    (MASTODON, "SMTP_SERVER", "smtp.provider.example"),
    (MASTODON, "SMTP_DOMAIN", None),
])
def test_get(text, key, expected):
    assert EnvStore.parse(text).get((key,)) == expected


def test_django_values_replaced_in_place():
    store = EnvStore.parse(DJANGO)
    store.set(("EMAIL_HOST",), "smtp.example.com")
    store.set(("EMAIL_HOST_PASSWORD",), "pa$$ word")
    store.set(("EMAIL_USE_TLS",), False)
    out = store.render()
    before, after = DJANGO.splitlines(), out.splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("EMAIL_HOST=", "EMAIL_HOST=smtp.example.com"),
                       ("EMAIL_HOST_PASSWORD=", "EMAIL_HOST_PASSWORD='pa$$ word'"),
                       ("EMAIL_USE_TLS=True", "EMAIL_USE_TLS=False")]
    assert len(before) == len(after)


def test_commented_samples_replaced_in_place_keeping_trailing_comment():
    store = EnvStore.parse(MASTODON)
    store.set(("SMTP_DOMAIN",), "example.com")
    store.set(("SMTP_TLS",), "true")
    store.set(("SMTP_DELIVERY_METHOD",), "smtp")
    out = store.render()
    before, after = MASTODON.splitlines(), out.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [
        ("#SMTP_DOMAIN= # LOCAL_DOMAIN when unset", "SMTP_DOMAIN=example.com # LOCAL_DOMAIN when unset"),
        ("#SMTP_DELIVERY_METHOD=smtp # or sendmail", "SMTP_DELIVERY_METHOD=smtp # or sendmail"),
        ("#SMTP_TLS=true", "SMTP_TLS=true"),
    ]
    assert EnvStore.parse(out).get(("SMTP_DOMAIN",)) == "example.com"


def test_django_commented_sample_with_space():
    store = EnvStore.parse(DJANGO)
    store.set(("SMTPD_PORT",), 2525)
    assert "SMTPD_PORT=2525\n" in store.render()
    assert "# SMTPD_PORT=" not in store.render()


def test_new_key_appended_at_end():
    store = EnvStore.parse(DJANGO)
    store.set(("EMAIL_USE_SSL",), "False")
    assert store.render() == DJANGO + "EMAIL_USE_SSL=False\n"
    no_newline = EnvStore.parse("A=1")
    no_newline.set(("B",), "2")
    assert no_newline.render() == "A=1\nB=2\n"


def test_export_prefix_and_spacing_kept():
    store = EnvStore.parse("export EMAIL_HOST = old # the relay\n")
    store.set(("EMAIL_HOST",), "new.example.com")
    assert store.render() == "export EMAIL_HOST = new.example.com # the relay\n"


def test_duplicates_all_updated_and_delete_removes_all():
    store = EnvStore.parse("A=1\nB=2\nA=3\n")
    assert store.get(("A",)) == "3"
    store.set(("A",), "9")
    assert store.render() == "A=9\nB=2\nA=9\n"
    store.delete(("A",))
    store.delete(("MISSING",))
    assert store.render() == "B=2\n"


@pytest.mark.parametrize("raw, value", [
    ("plain", "plain"),
    ("plain # comment", "plain"),
    ("'single # $HOME \\n'", "single # $HOME \\n"),
    ('"double \\"q\\" \\\\ \\$HOME"', 'double "q" \\ $HOME'),
    ('"a#b" # c', "a#b"),
    ("a#b", "a#b"),
    ("", ""),
])
def test_parse_value(raw, value):
    assert parse_value(raw)[0] == value


@pytest.mark.parametrize("value, encoded", [
    ("smtp.example.com", "smtp.example.com"),
    ("587", "587"),
    ("with space", '"with space"'),
    ("has#hash", '"has#hash"'),
    ("pa$word", "'pa$word'"),
    ("back\\slash", "'back\\slash'"),
    ("it's", '"it\'s"'),
    ("it's $5", '"it\'s \\$5"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("", ""),
    (True, "True"),
    (25, "25"),
])
def test_quote_value(value, encoded):
    assert quote_value(value) == encoded


def test_unterminated_quote_is_a_store_error_with_line_number():
    with pytest.raises(StoreError) as info:
        EnvStore.parse("A=1\nPASSWORD='secret-value\n")
    assert "line 2" in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_line_breaks_refused(bad):
    store = EnvStore.parse(DJANGO)
    with pytest.raises(StoreError) as info:
        store.set(("EMAIL_HOST_PASSWORD",), "secret" + bad)
    assert "secret" not in str(info.value)
    assert store.render() == DJANGO


def test_crlf_kept():
    text = DJANGO.replace("\n", "\r\n")
    store = EnvStore.parse(text)
    store.set(("EMAIL_HOST",), "mx")
    store.set(("NEW_KEY",), "v")
    out = store.render()
    assert "EMAIL_HOST=mx\r\n" in out and out.endswith("NEW_KEY=v\r\n")
    assert "\n" not in out.replace("\r\n", "")


PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)
NAMES = st.from_regex(r"\A[A-Z][A-Z0-9_]{0,10}\Z")


@settings(max_examples=60, deadline=None)
@given(values=st.dictionaries(NAMES, PRINTABLE, min_size=1, max_size=6))
def test_property_set_render_parse_get_agrees_with_bash(values):
    store = EnvStore.parse(MASTODON)
    for key, value in values.items():
        store.set((key,), value)
    out = store.render()
    reread = EnvStore.parse(out)
    for key, value in values.items():
        assert reread.get((key,)) == value
    # lines that are not about these keys are untouched
    untouched = [line for line in MASTODON.splitlines() if not any(key in line for key in values)]
    after = [line for line in out.splitlines() if not any(key in line for key in values)]
    assert after == untouched
    # a POSIX shell reads the same strings (only the keys we wrote, in a file of their own)
    own = EnvStore.parse("")
    for key, value in values.items():
        own.set((key,), value)
    assert bash_values(own.render(), list(values)) == list(values.values())
