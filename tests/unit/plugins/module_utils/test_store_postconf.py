"""PostconfStore: surgical main.cf edits, checked against Postfix's own reader (``postconf -c DIR -h/-xh``)."""

import os
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.postconf import (
    PostconfStore,
    decode_literal,
    encode_literal,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "postfix")
POSTCONF = "/usr/sbin/postconf"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


DIST = fixture("main.cf.dist")
DEBIAN = fixture("main.cf.debian")
TLS = fixture("main.cf.tls")
# A fresh Debian main.cf: main.cf.debian + main.cf.tls, as the postinst assembles it before its postconf -e calls.
ASSEMBLED = DEBIAN + TLS


def write_aged(path, text):
    """Write ``path`` with an mtime in the past: Postfix re-reads a main.cf changed within the last second
    (0.3 s naps until it is older), which would make every reader call here take two seconds."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    past = time.time() - 10
    os.utime(path, (past, past))


def postconf(directory, text, names, expand=False):
    """What Postfix reads: ``postconf -c DIR -h`` (or ``-xh``) for each name."""
    write_aged(os.path.join(str(directory), "main.cf"), text)
    open(os.path.join(directory, "master.cf"), "a").close()
    result = subprocess.run([POSTCONF, "-c", str(directory), "-xh" if expand else "-h"] + list(names),
                            capture_output=True, check=True)
    return result.stdout.decode("utf-8").split("\n")[:-1]


def normalised(value):
    return " ".join(value.split()) if value is not None else ""


@pytest.mark.parametrize("text", [DIST, DEBIAN, TLS, ASSEMBLED, DIST.replace("\n", "\r\n")])
def test_corpus_parses_and_renders_byte_identical(text):
    store = PostconfStore.parse(text)
    assert store.render() == text
    for name in set(store.names()):
        store.set((name,), store.get((name,)))
    assert store.render() == text


@pytest.mark.parametrize("text", [DIST, ASSEMBLED])
def test_get_agrees_with_postconf_on_every_corpus_parameter(tmp_path, text):
    store = PostconfStore.parse(text)
    names = sorted(set(store.names()))
    assert names
    assert postconf(tmp_path, text, names) == [normalised(store.get((name,))) for name in names]


def test_continuation_lines_and_comments_inside_them(tmp_path):
    text = "relayhost = a\n\t\t  b\n# comment inside\n  #indented comment\n\n   c  \nmyhostname=h\n"
    store = PostconfStore.parse(text)
    assert store.get(("relayhost",)) == "a b c"
    assert postconf(tmp_path, text, ["relayhost", "myhostname"]) == ["a b c", "h"]


def test_debugger_command_continuation_in_dist_is_one_value():
    value = PostconfStore.parse(DIST).get(("debugger_command",))
    assert value == "PATH=/bin:/usr/bin:/usr/local/bin gdb -batch $daemon_directory/$process_name $process_id & sleep 5"


def test_later_entry_wins_and_set_updates_every_entry(tmp_path):
    text = "relayhost = [a]:25\nmyhostname = h\nrelayhost = [b]:25\n  continued\n"
    store = PostconfStore.parse(text)
    assert store.get(("relayhost",)) == "[b]:25 continued"
    store.set(("relayhost",), "[c]:587")
    assert store.render() == "relayhost = [c]:587\nmyhostname = h\nrelayhost = [c]:587\n"
    assert postconf(tmp_path, store.render(), ["relayhost"]) == ["[c]:587"]


def test_replace_keeps_the_spacing_around_equals():
    store = PostconfStore.parse(TLS)
    store.set(("smtp_tls_security_level",), "encrypt")
    assert "smtp_tls_security_level=encrypt\n" in store.render()
    assert store.render().replace("smtp_tls_security_level=encrypt", "smtp_tls_security_level=may") == TLS


def test_absent_name_goes_after_its_commented_examples_which_stay(tmp_path):
    store = PostconfStore.parse(DIST)
    store.set(("relayhost",), "[smtp.example.com]:587")
    out = store.render()
    lines = out.split("\n")
    index = lines.index("relayhost = [smtp.example.com]:587")
    assert lines[index - 1] == "#relayhost = [192.0.2.25]"
    assert out.replace("relayhost = [smtp.example.com]:587\n", "", 1) == DIST
    assert postconf(tmp_path, out, ["relayhost"]) == ["[smtp.example.com]:587"]


def test_absent_name_without_example_is_appended():
    store = PostconfStore.parse(DEBIAN)
    store.set(("smtp_sasl_auth_enable",), "yes")
    assert store.render() == DEBIAN + "smtp_sasl_auth_enable = yes\n"
    store = PostconfStore.parse("biff = no")
    store.set(("relayhost",), "[x]:25")
    assert store.render() == "biff = no\nrelayhost = [x]:25\n"


def test_example_followed_by_a_continuation_line_is_not_an_insertion_point(tmp_path):
    text = "myhostname = a\n#relayhost = [x]\n  b\n"
    store = PostconfStore.parse(text)
    store.set(("relayhost",), "[y]:25")
    assert store.render() == text + "relayhost = [y]:25\n"
    assert postconf(tmp_path, store.render(), ["myhostname", "relayhost"]) == ["a b", "[y]:25"]


def test_delete_removes_entries_and_their_continuations(tmp_path):
    text = "relayhost = [a]\n  b\n# keep\nbiff = no\nrelayhost = c\n"
    store = PostconfStore.parse(text)
    store.delete(("relayhost",))
    assert store.render() == "# keep\nbiff = no\n"


@pytest.mark.parametrize("text", ["relay host = x\n", "relayhost\n", "biff = no\nnot an entry\n"])
def test_malformed_files_are_refused_like_postfix_does(tmp_path, text):
    with pytest.raises(StoreError, match="missing '='"):
        PostconfStore.parse(text)
    write_aged(os.path.join(str(tmp_path), "main.cf"), text)
    result = subprocess.run([POSTCONF, "-c", str(tmp_path), "-h", "relayhost"], check=False, capture_output=True)
    assert result.returncode != 0


def test_literal_codec_escapes_dollar_and_refuses_what_postfix_drops(tmp_path):
    assert encode_literal("a$b") == "a$$b"
    assert decode_literal("a$$b") == "a$b"
    assert decode_literal("$myhostname") is None
    assert decode_literal("hash:${config_directory}/x") is None
    for bad in (" lead", "trail ", "a\nb", "a\x00"):
        with pytest.raises(StoreError):
            encode_literal(bad)


_VALUE_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\x85")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.lists(st.text(_VALUE_CHARS | st.sampled_from("$#{}()\\=,:"), min_size=1, max_size=12),
                      min_size=1, max_size=3).map(" ".join),
       base=st.sampled_from([DIST, ASSEMBLED, "", "relayhost = old\n  cont\n"]))
def test_written_literal_is_what_postfix_expands(tmp_path, value, base):
    """Property: postconf -xh reads back exactly the literal we wrote ($ escaped as $$), every other value kept."""
    store = PostconfStore.parse(base)
    before = dict((name, store.get((name,))) for name in set(store.names()) if name != "relayhost")
    store.set(("relayhost",), encode_literal(value))
    out = store.render()
    assert postconf(tmp_path, out, ["relayhost"], expand=True) == [value]
    after = PostconfStore.parse(out)
    assert decode_literal(after.get(("relayhost",))) == value
    assert dict((name, after.get((name,))) for name in before) == before
