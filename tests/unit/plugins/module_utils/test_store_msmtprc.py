"""MsmtprcStore: account-block edits, checked with Debian's real msmtp (``--pretend`` and a real AUTH)."""

import getpass
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailops.smtp.plugins.module_utils._errors import StoreError
from ansible_collections.mailops.smtp.plugins.module_utils.stores.msmtprc import (
    MAX_LINE,
    MsmtprcStore,
    decode_argument,
    encode_argument,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "msmtp")
MSMTP = "/usr/bin/msmtp"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8", newline="") as handle:
        return handle.read()


SYSTEM = fixture("msmtprc-system.example")
USER = fixture("msmtprc-user.example")


def write_private(path, text):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def msmtp_env(directory):
    """msmtp evaluates ``passwordeval`` even with --pretend: the user example's ``gpg2`` is a stub here."""
    bin_dir = os.path.join(str(directory), "bin")
    if not os.path.isdir(bin_dir):
        os.mkdir(bin_dir)
        stub = os.path.join(bin_dir, "gpg2")
        with open(stub, "w") as handle:
            handle.write("#!/bin/sh\necho password-from-gpg\n")
        os.chmod(stub, 0o755)
    return {"PATH": bin_dir + ":/usr/bin:/bin", "HOME": str(directory)}


def pretend(directory, text, account):
    """msmtp's own reading of ``account``: ``msmtp --pretend -C FILE -a ACCOUNT`` as a dict (password masked)."""
    path = os.path.join(str(directory), "msmtprc")
    write_private(path, text)
    result = subprocess.run([MSMTP, "--pretend", "-C", path, "-a", account], check=False, capture_output=True,
                            stdin=subprocess.DEVNULL, env=msmtp_env(directory))
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    settings_read = {}
    for line in result.stdout.decode("utf-8").splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            settings_read[name] = value
    return settings_read


@pytest.mark.parametrize("text", [SYSTEM, USER, USER.replace("\n", "\r\n")])
def test_corpus_roundtrip_and_same_values_keep_bytes(text):
    store = MsmtprcStore.parse(text)
    assert store.render() == text
    for account in store.accounts():
        for command in ("host", "port", "from", "auth", "user", "tls"):
            value = store.get((account, command))
            if value is not None:
                store.set((account, command), value)
    assert store.render() == text


@pytest.mark.parametrize("text, account", [
    (SYSTEM, "default"), (USER, "freemail"), (USER, "freemail2"), (USER, "company"), (USER, "default"),
])
def test_effective_settings_agree_with_msmtp(tmp_path, text, account):
    store = MsmtprcStore.parse(text)
    mine = store.effective(account)
    theirs = pretend(tmp_path, text, account)
    assert theirs["host"] == mine["host"]
    assert theirs["port"] == mine["port"]
    # msmtp substitutes %U (the user running it) in from: the system example's "from %U@site.example"
    assert theirs["from"] == mine["from"].replace("%U", getpass.getuser())
    assert theirs["tls"] == mine.get("tls", "off")
    assert theirs["tls_starttls"] == mine.get("tls_starttls", "on")
    assert theirs["user"] == mine.get("user", "(not set)")
    assert theirs["passwordeval"] == mine.get("passwordeval", "(not set)")


def test_user_example_inheritance():
    store = MsmtprcStore.parse(USER)
    assert store.accounts() == ["freemail", "freemail2", "company", "default"]
    assert store.effective("freemail2")["host"] == "smtp.mailbox.example"
    assert store.effective("freemail2")["from"] == "ann@mailbox.example"
    assert store.effective("default")["from"] == "ann.lee@mailbox.example"
    assert store.get(("default", "host")) is None
    assert store.effective("nothere") is None


def test_set_edits_only_the_named_account(tmp_path):
    store = MsmtprcStore.parse(USER)
    store.set(("company", "host"), "smtp.relay.example")
    store.set(("company", "port"), "465")
    store.set(("company", "password"), "s3cret")
    out = store.render()
    assert out == USER.replace("host mail.work.example\n", "host smtp.relay.example\n").replace(
        "user alee-work\n", "user alee-work\nport 465\npassword s3cret\n")
    assert pretend(tmp_path, out, "company")["host"] == "smtp.relay.example"
    assert pretend(tmp_path, out, "company")["port"] == "465"
    assert pretend(tmp_path, out, "freemail")["host"] == "smtp.mailbox.example"


def test_missing_account_is_appended(tmp_path):
    store = MsmtprcStore.parse(SYSTEM)
    store.set(("relay", "host"), "smtp.example.com")
    store.set(("relay", "port"), "587")
    out = store.render()
    assert out == SYSTEM + "\naccount relay\nhost smtp.example.com\nport 587\n"
    assert pretend(tmp_path, out, "relay")["host"] == "smtp.example.com"
    assert pretend(tmp_path, out, "default")["host"] == "mail.site.example"


def test_implicit_default_account_before_any_account_line(tmp_path):
    text = "# no account line\nhost a.example\nport 25\n"
    store = MsmtprcStore.parse(text)
    assert store.accounts() == ["default"]
    store.set(("default", "host"), "b.example")
    assert store.render() == "# no account line\nhost b.example\nport 25\n"
    assert pretend(tmp_path, store.render(), "default")["host"] == "b.example"


def test_delete_removes_only_the_accounts_lines():
    store = MsmtprcStore.parse(USER)
    store.delete(("freemail", "passwordeval"))
    assert store.render() == USER.replace("passwordeval gpg2 --batch -q --decrypt ~/.config/msmtp/pass.gpg\n", "")


@pytest.mark.parametrize("text, message", [
    ("account a\naccount a\n", "defined twice"),
    ("account a : b\n", "undefined account"),
    ("account a\neval echo host x\n", "eval"),
    ("account a\nhost " + "x" * MAX_LINE + "\n", "longer than"),
])
def test_files_msmtp_refuses_or_cannot_be_known_are_refused(text, message):
    with pytest.raises(StoreError, match=message):
        MsmtprcStore.parse(text)


@pytest.mark.parametrize("value, encoded", [
    ("plain", "plain"), ("with space", "with space"), (" lead", '" lead"'), ("trail\t", '"trail\t"'),
    ("", '""'), ('"quoted"', '""quoted""'), ('a"b', 'a"b'), ("#hash", "#hash"), ('"', '"'),
])
def test_argument_quoting(value, encoded):
    assert encode_argument(value) == encoded
    assert decode_argument(encoded) == value


_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=st.text(_CHARS | st.sampled_from(' \t"#\\$%:'), min_size=1, max_size=30),
       user=st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")) | st.sampled_from(' "#@.'),
                    min_size=1, max_size=15))
def test_msmtp_authenticates_with_exactly_the_written_credentials(tmp_path, smtp_sandbox, sandbox_ca, password, user):
    """Property: msmtp sends AUTH with the user and password we wrote (a real login at the sandbox)."""
    sandbox = smtp_sandbox(security="starttls", users={user: password})
    store = MsmtprcStore.parse(USER)
    for command, value in (("host", sandbox.host), ("port", str(sandbox.port)), ("tls", "on"),
                           ("tls_starttls", "on"), ("tls_trust_file", sandbox_ca), ("auth", "on"),
                           ("user", user), ("password", password), ("from", "sender@example.com")):
        store.set(("company", command), value)
    path = os.path.join(str(tmp_path), "msmtprc")
    write_private(path, store.render())
    result = subprocess.run([MSMTP, "-C", path, "-a", "company", "rcpt@example.net"], input=b"Subject: t\n\nx\n",
                            check=False, capture_output=True, env=msmtp_env(tmp_path))
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert [m["authenticated_as"] for m in sandbox.messages] == [user]
    assert password not in result.stderr.decode("utf-8", "replace")
