"""IniStore: surgical go-ini edits on Grafana and Gitea files (fixtures in the shape of the packaged samples;
`make corpus-check` runs the real upstream files)."""

import difflib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniLayout
from ansible_collections.mailops.smtp.plugins.module_utils.stores.ini import IniStore, decode_value, encode_value

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


def changed_lines(before, after):
    """(removed, added) lines between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(True), after.splitlines(True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


GRAFANA_SAMPLE = fixture("grafana/sample.ini")
GRAFANA_DEFAULTS = fixture("grafana/defaults.ini")
GITEA = fixture("gitea/app.example.ini")


@pytest.mark.parametrize("name", ["grafana/sample.ini", "grafana/defaults.ini", "gitea/app.example.ini"])
def test_parse_render_is_byte_identical(name):
    text = fixture(name)
    assert IniStore.parse(text).render() == text


@pytest.mark.parametrize("path, expected", [
    (("smtp", "host"), "localhost:25"),
    (("smtp", "enabled"), "false"),
    (("smtp", "user"), ""),
    (("smtp", "startTLS_policy"), ""),
    (("smtp", "from_name"), "Grafana"),
    (("smtp", "starttls_policy"), None),          # keys are case-sensitive
    ((None, "app_mode"), "production"),           # keys before the first header
    (("", "instance_name"), "${HOSTNAME}"),
    (("nosuchsection", "host"), None),
])
def test_get_grafana_defaults(path, expected):
    assert IniStore.parse(GRAFANA_DEFAULTS).get(path) == expected


def test_commented_keys_are_not_values():
    store = IniStore.parse(GRAFANA_SAMPLE)
    assert store.get(("smtp", "host")) is None
    assert store.get(("smtp", "password")) is None


@pytest.mark.parametrize("name, path", [
    ("grafana/defaults.ini", ("smtp", "host")),
    ("grafana/defaults.ini", ("smtp", "startTLS_policy")),
    ("grafana/defaults.ini", (None, "app_mode")),
    ("gitea/app.example.ini", ("database", "HOST")),
    ("gitea/app.example.ini", ("", "APP_NAME")),
])
def test_setting_the_current_value_changes_nothing(name, path):
    text = fixture(name)
    store = IniStore.parse(text)
    store.set(path, store.get(path))
    assert store.render() == text


def test_grafana_sample_commented_key_replaced_in_place():
    store = IniStore.parse(GRAFANA_SAMPLE)
    store.set(("smtp", "host"), "mail.example.com:587")
    store.set(("smtp", "startTLS_policy"), "MandatoryStartTLS")
    out = store.render()
    before, after = GRAFANA_SAMPLE.splitlines(True), out.splitlines(True)
    assert len(before) == len(after)
    host, policy = before.index(";host = localhost:25\n"), before.index(";startTLS_policy = NoStartTLS\n")
    assert before.index("[smtp]\n") < host < policy  # the [smtp] samples, not [database]'s ;host
    assert after[host] == "host = mail.example.com:587\n"
    assert after[policy] == "startTLS_policy = MandatoryStartTLS\n"
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [host, policy]
    # other sections' commented ;password / ;user samples stay untouched
    assert out.count(";password =") == GRAFANA_SAMPLE.count(";password =")
    assert IniStore.parse(out).get(("smtp", "host")) == "mail.example.com:587"


def test_grafana_sample_only_matches_samples_in_its_own_section():
    store = IniStore.parse(GRAFANA_SAMPLE)
    store.set(("smtp", "password"), "s3cret")
    removed, added = changed_lines(GRAFANA_SAMPLE, store.render())
    assert removed == [";password =\n"] and added == ["password = s3cret\n"]
    lines = store.render().splitlines()
    assert lines.index("password = s3cret") == GRAFANA_SAMPLE.splitlines().index("[smtp]") + 5


def test_gitea_commented_section_header_is_uncommented():
    store = IniStore.parse(GITEA)
    store.set(("mailer", "ENABLED"), "true")
    store.set(("mailer", "PROTOCOL"), "smtp+starttls")
    store.set(("mailer", "SMTP_ADDR"), "mail.example.com")
    store.set(("mailer", "PASSWD"), "pa;ss#word")
    out = store.render()
    removed, added = changed_lines(GITEA, out)
    assert sorted(removed) == sorted([";[mailer]\n", ";ENABLED = false\n", ";PROTOCOL =\n", ";SMTP_ADDR =\n",
                                      ";PASSWD =\n"])
    assert sorted(added) == sorted(["[mailer]\n", "ENABLED = true\n", "PROTOCOL = smtp+starttls\n",
                                    "SMTP_ADDR = mail.example.com\n", "PASSWD = `pa;ss#word`\n"])
    # positions kept: same number of lines, and the [database] ;PASSWD sample is still commented
    assert len(out.splitlines()) == len(GITEA.splitlines())
    reread = IniStore.parse(out)
    assert reread.get(("mailer", "PASSWD")) == "pa;ss#word"
    assert reread.get(("database", "PASSWD")) is None
    assert reread.get(("email.incoming", "HOST")) is None


def test_gitea_key_without_sample_goes_after_last_active_key():
    store = IniStore.parse(GITEA)
    store.set(("mailer", "SMTP_PORT"), "587")
    store.set(("mailer", "HOST"), "legacy.example.com:25")   # ;HOST exists only in ;[email.incoming]
    out = store.render()
    lines = out.splitlines()
    # SMTP_PORT replaced its sample in place; HOST has no sample in [mailer]: right after the last active key
    assert lines.index("SMTP_PORT = 587") == GITEA.splitlines().index(";SMTP_PORT =")
    assert lines[lines.index("SMTP_PORT = 587") + 1] == "HOST = legacy.example.com:25"
    incoming = [line for line in lines if line.startswith(";HOST")]
    assert incoming == [line for line in GITEA.splitlines() if line.startswith(";HOST")]


def test_missing_key_is_inserted_after_last_active_key_of_its_section():
    text = "[smtp]\nenabled = false\nhost = localhost:25\n# trailing comment\n\n[emails]\nwelcome = x\n"
    store = IniStore.parse(text)
    store.set(("smtp", "user"), "admin")
    assert store.render() == ("[smtp]\nenabled = false\nhost = localhost:25\nuser = admin\n# trailing comment\n\n"
                              "[emails]\nwelcome = x\n")


def test_missing_section_is_appended_with_one_blank_line():
    store = IniStore.parse("[server]\nport = 3000\n")
    store.set(("smtp", "host"), "mx:25")
    assert store.render() == "[server]\nport = 3000\n\n[smtp]\nhost = mx:25\n"
    empty = IniStore.parse("")
    empty.set(("smtp", "host"), "mx:25")
    assert empty.render() == "[smtp]\nhost = mx:25\n"


def test_spacing_style_of_neighbours_is_kept():
    store = IniStore.parse("[mailer]\nUSER=me\n")
    store.set(("mailer", "PASSWD"), "x")
    store.set(("mailer", "USER"), "you")
    assert store.render() == "[mailer]\nUSER=you\nPASSWD=x\n"


def test_keys_before_first_header():
    store = IniStore.parse(GRAFANA_DEFAULTS)
    store.set((None, "instance_name"), "grafana-01")
    removed, added = changed_lines(GRAFANA_DEFAULTS, store.render())
    assert removed == ["instance_name = ${HOSTNAME}\n"] and added == ["instance_name = grafana-01\n"]
    fresh = IniStore.parse("[smtp]\nhost = a\n")
    fresh.set((None, "app_mode"), "production")
    assert fresh.render() == "app_mode = production\n[smtp]\nhost = a\n"


def test_delete_removes_legacy_keys_only_in_their_section():
    text = "[database]\nHOST = db:3306\n\n[mailer]\nHOST = mx:25\nIS_TLS_ENABLED = true\nSKIP_VERIFY = true\n"
    store = IniStore.parse(text)
    for key in ("HOST", "IS_TLS_ENABLED", "SKIP_VERIFY", "MAILER_TYPE"):
        store.delete(("mailer", key))
    assert store.render() == "[database]\nHOST = db:3306\n\n[mailer]\n"


@pytest.mark.parametrize("value, encoded", [
    ("plain", "plain"),
    ("host:587", "host:587"),
    ("", ""),
    ("pa#ss", "`pa#ss`"),
    ("pa;ss", "`pa;ss`"),
    ('say "hi"', '`say "hi"`'),
    (" padded ", "` padded `"),
    ("back`tick", '"""back`tick"""'),
    ('"""', '`"""`'),
    ("ends with \\", '"""ends with \\"""'),
    ("ünïcødé ✓", "ünïcødé ✓"),
])
def test_value_quoting_round_trips_through_go_ini_rules(value, encoded):
    assert encode_value(value) == encoded
    assert decode_value(encoded) == value


@pytest.mark.parametrize("raw, value", [
    ("localhost:25", "localhost:25"),
    ('"quoted value"', "quoted value"),
    ("`raw #value`", "raw #value"),
    ('"""#password;"""', "#password;"),
    ("value ; inline comment", "value"),
    ("value # inline comment", "value"),
    ("abc#def", "abc#def"),
    ('"a"b"', '"a"b"'),
])
def test_decode_value_like_go_ini(raw, value):
    assert decode_value(raw) == value


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "nul\x00"])
def test_line_breaks_are_refused_without_echoing_the_value(bad):
    store = IniStore.parse(GRAFANA_DEFAULTS)
    with pytest.raises(StoreError) as info:
        store.set(("smtp", "password"), "secret-" + bad)
    assert "secret" not in str(info.value)
    assert store.render() == GRAFANA_DEFAULTS


def test_crlf_line_endings_are_preserved():
    text = GRAFANA_DEFAULTS.replace("\n", "\r\n")
    store = IniStore.parse(text)
    assert store.render() == text
    store.set(("smtp", "host"), "mx:587")
    store.set(("smtp", "new_key"), "v")
    store.set(("brand_new", "k"), "v")
    out = store.render()
    assert "\n" not in out.replace("\r\n", "")
    assert "host = mx:587\r\n" in out and out.endswith("[brand_new]\r\nk = v\r\n")


def test_non_ascii_text_is_kept():
    store = IniStore.parse(GITEA)
    store.set(("mailer", "FROM"), '"Gitea 服务器" <gitea@example.com>')
    out = store.render()
    names = [line for line in GITEA.splitlines(True) if "NAMES" in line and not line.isascii()]
    assert names and all(line in out for line in names)
    assert IniStore.parse(out).get(("mailer", "FROM")) == '"Gitea 服务器" <gitea@example.com>'


def test_file_without_final_newline_keeps_its_end():
    store = IniStore.parse("[smtp]\nhost = a")
    store.set(("smtp", "user"), "u")
    assert store.render() == "[smtp]\nhost = a\nuser = u"


KEY = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.]{0,15}\Z")
VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00\x85\u2028\u2029"
                              "\x0b\x0c\x1c\x1d\x1e"), max_size=40)
SECTION = st.sampled_from(["smtp", "mailer", "server", "new.section", None])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(section=SECTION, key=KEY, value=VALUE)
def test_property_set_render_parse_get(section, key, value):
    base = ("app_mode = production\n\n[server]\nport = 3000\n; comment\n[smtp]\n;host = localhost:25\n"
            "user = admin\n;password =\n\n;[mailer]\n;PASSWD =\n")
    store = IniStore.parse(base)
    store.set((section, key), value)
    out = store.render()
    assert IniStore.parse(out).get((section, key)) == value
    # every other key keeps its value, and lines not about this key are untouched
    for path in ((None, "app_mode"), ("server", "port"), ("smtp", "user")):
        if path != (section, key) and not (path[0] == section and path[1] == key):
            assert IniStore.parse(out).get(path) == IniStore.parse(base).get(path)
    removed, _added = changed_lines(base, out)
    assert all(key in line or line.startswith(";[") for line in removed)
    again = IniStore.parse(out)
    again.set((section, key), value)
    assert again.render() == out


def test_with_the_go_ini_layout_the_store_sees_the_lines_as_go_ini_does():
    """Checked against the real go-ini in test_profile_codecs.py; here: what the store does with the layout."""
    text = ("[server]\nroot_url = `https://a\n[smtp]\nhost = inside-the-value`\n[smtp] with words\n"
            "host = a:25\\\n  b\nuser = \"\"\"u\nv\"\"\"\npassword = p\n")
    store = IniStore.parse(text, layout=GoIniLayout(continuation=True, app="Grafana"))
    assert [line.kind for line in store._lines] == ["header", "key", "tail", "tail", "header", "key", "tail", "key",
                                                    "tail", "key"]
    assert store.sections() == ["server", "smtp"]
    assert store.get_raw(("smtp", "host")) == "a:25\\"
    store.set_raw(("smtp", "host"), "c:25")
    store.delete(("smtp", "user"))
    assert store.render() == ("[server]\nroot_url = `https://a\n[smtp]\nhost = inside-the-value`\n[smtp] with words\n"
                              "host = c:25\npassword = p\n")
    without = IniStore.parse(text)  # no layout: the generic reading (no tails, the first [smtp] is a header)
    assert without.sections() == ["server", "smtp"] and without.get_raw(("smtp", "host")) == "a:25\\"
    assert [line.kind for line in without._lines][2:4] == ["header", "key"]


def test_with_the_go_ini_layout_a_file_go_ini_refuses_is_a_store_error_naming_the_line():
    text = '[database]\nUSER = u\nPASSWD = """""\n[mailer]\nPASSWD = s3cret\n'
    with pytest.raises(StoreError, match=r'^line 3: the value of PASSWD in \[database\] opens a multi-line """'):
        IniStore.parse(text, layout=GoIniLayout(continuation=False, app="Gitea"))
    assert IniStore.parse(text).get_raw(("mailer", "PASSWD")) == "s3cret"  # without the layout: not checked
