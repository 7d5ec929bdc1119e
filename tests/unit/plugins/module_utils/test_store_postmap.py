"""PostmapStore: lookup-table source edits (sasl_passwd), checked with the real ``postmap`` and ``postmap -q``."""

import os
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.postmap import PostmapStore

POSTMAP = "/usr/sbin/postmap"

SAMPLE = (
    "# SASL credentials per relay (postmap input)\n"
    "[smtp.old.example]:587    olduser:oldpass\n"
    "\n"
    "[Mail.Example.COM]:25 user@example.com:p a#ss\n"
    "alice@example.com\tsender:dependent\n"
    "[multi.example]:587 first\n"
    "  second line\n"
)


def postmap_query(directory, text, keys, table_type="hash"):
    """Compile ``text`` with ``postmap`` and return what ``postmap -q`` finds for each key (None: not found)."""
    directory = str(directory)
    main_cf = os.path.join(directory, "main.cf")
    if not os.path.exists(main_cf):
        with open(main_cf, "w") as handle:
            handle.write("compatibility_level = 3.7\n")
        past = time.time() - 10
        os.utime(main_cf, (past, past))
    source = os.path.join(directory, "sasl_passwd")
    with open(source, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    table = "%s:%s" % (table_type, source)
    subprocess.run([POSTMAP, "-c", directory, table], capture_output=True, check=True)
    found = []
    for key in keys:
        result = subprocess.run([POSTMAP, "-c", directory, "-q", key, table], check=False, capture_output=True)
        assert result.returncode in (0, 1), result.stderr
        found.append(result.stdout.decode("utf-8").rstrip("\n") if result.returncode == 0 else None)
    return found


def test_parse_render_roundtrip_and_get_agree_with_postmap(tmp_path):
    store = PostmapStore.parse(SAMPLE)
    assert store.render() == SAMPLE
    keys = ["[smtp.old.example]:587", "[mail.example.com]:25", "alice@example.com", "[multi.example]:587", "nokey"]
    expected = postmap_query(tmp_path, SAMPLE, keys)
    assert [store.get((key,)) for key in keys] == expected
    assert expected[1] == "user@example.com:p a#ss"
    assert expected[3] == "first  second line"


def test_first_entry_wins_like_postmap(tmp_path):
    text = "[a]:25 first\n[A]:25 second\n"
    assert PostmapStore.parse(text).get(("[a]:25",)) == "first"
    assert postmap_query(tmp_path, text, ["[a]:25"]) == ["first"]


def test_set_replaces_in_place_and_appends_new_keys(tmp_path):
    store = PostmapStore.parse(SAMPLE)
    store.set(("[mail.example.com]:25",), "new:secret")
    store.set(("[multi.example]:587",), "one:line")
    store.set(("[smtp.new.example]:465",), "u:p")
    out = store.render()
    assert out == SAMPLE.replace("[Mail.Example.COM]:25 user@example.com:p a#ss", "[Mail.Example.COM]:25 new:secret") \
        .replace("[multi.example]:587 first\n  second line\n", "[multi.example]:587 one:line\n") \
        + "[smtp.new.example]:465 u:p\n"
    assert postmap_query(tmp_path, out, ["[mail.example.com]:25", "[multi.example]:587", "[smtp.new.example]:465",
                                         "[smtp.old.example]:587"]) == ["new:secret", "one:line", "u:p",
                                                                        "olduser:oldpass"]


def test_delete_and_untouched_bytes():
    store = PostmapStore.parse(SAMPLE)
    store.delete(("[SMTP.old.example]:587",))
    assert store.render() == SAMPLE.replace("[smtp.old.example]:587    olduser:oldpass\n", "")
    store = PostmapStore.parse(SAMPLE)
    store.set(("alice@example.com",), "sender:dependent")
    assert store.render() == SAMPLE


@pytest.mark.parametrize("value", ["", " lead", "trail ", "tab\t", "a\nb", "nul\x00"])
def test_values_postmap_cannot_store_are_refused(value):
    with pytest.raises(StoreError):
        PostmapStore.parse("").set(("[a]:25",), value)


@pytest.mark.parametrize("key", ["", "#x", "a b", "a\tb"])
def test_bad_keys_are_refused(key):
    with pytest.raises(StoreError):
        PostmapStore.parse("").set((key,), "v")


_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(_CHARS | st.sampled_from(" \t#:\\\"'$"), min_size=1, max_size=40)
       .filter(lambda v: v == v.strip(" \t\f\v") and v.strip()),
       table_type=st.sampled_from(["hash", "lmdb"]))
def test_written_value_is_what_postmap_returns(tmp_path, value, table_type):
    """Property: any value the store accepts is returned byte-for-byte by postmap -q (hash and lmdb)."""
    store = PostmapStore.parse(SAMPLE)
    store.set(("[relay.example]:587",), value)
    found = postmap_query(tmp_path, store.render(), ["[relay.example]:587", "alice@example.com"], table_type)
    assert found == [value, "sender:dependent"]
