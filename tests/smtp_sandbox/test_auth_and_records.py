"""AUTH PLAIN/LOGIN against the users table, and what the sandbox records."""

import base64
import json
import smtplib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_sandbox import SmtpSandbox

USER = "alice@example.test"
PASSWORD = "s3cret pass"
USERS = {USER: PASSWORD}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_mechanism_succeeds_and_is_recorded(smtp_sandbox, mechanism):
    sb = smtp_sandbox(security="plain", users=USERS)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.user, client.password = USER, PASSWORD
        client.ehlo()
        code, dummy = client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()), initial_response_ok=False)
        assert code == 235
    session = sb.wait_sessions_closed(1)[0]
    assert session["authenticated_as"] == USER
    assert session["auth_mechanism"] == mechanism
    # the AUTH exchange is recorded line by line, as received
    start = session["commands"].index("AUTH " + mechanism)
    if mechanism == "PLAIN":
        assert session["commands"][start + 1 : start + 3] == [_b64("\0%s\0%s" % (USER, PASSWORD)), "QUIT"]
    else:
        assert session["commands"][start + 1 : start + 3] == [_b64(USER), _b64(PASSWORD)]
        assert session["commands"][start + 3] == "QUIT"
        assert "334 VXNlcm5hbWU6" in session["replies"]  # "Username:"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_wrong_password_gets_535_5_7_8(smtp_sandbox, mechanism):
    sb = smtp_sandbox(security="plain", users=USERS)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.user, client.password = USER, "wrong"
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()))
    assert info.value.smtp_code == 535
    assert info.value.smtp_error == b"5.7.8 Authentication credentials invalid"
    assert sb.wait_sessions_closed(1)[0]["authenticated_as"] is None


def test_unknown_user_is_refused(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("mallory@example.test", PASSWORD)


def test_no_users_means_no_auth_offered(smtp_sandbox):
    sb = smtp_sandbox(security="plain")
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(USER, PASSWORD)
        assert client.docmd("AUTH", "PLAIN " + _b64("\0%s\0%s" % (USER, PASSWORD)))[0] == 504


def test_auth_required_refuses_mail_before_auth(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, auth_required=True)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.ehlo()
        assert client.mail(USER) == (530, b"5.7.0 Authentication required")
        client.login(USER, PASSWORD)
        assert client.mail(USER)[0] == 250
        assert client.rcpt("bob@example.test")[0] == 250


def test_message_and_session_records(smtp_sandbox, tmp_path):
    sb = smtp_sandbox(security="starttls", users=USERS, record_dir=str(tmp_path / "rec"))
    body = b"From: alice@example.test\r\nSubject: hello\r\n\r\nline one\r\nline two\r\n"
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.starttls(context=__import__("ssl").create_default_context(cafile=sb.ca_path))
        client.login(USER, PASSWORD)
        client.sendmail(USER, ["bob@example.test", "carol@example.test"], body)
    # a second, unauthenticated connection that sends nothing
    with smtplib.SMTP(sb.host, sb.port, local_hostname="other.test", timeout=3) as client:
        client.noop()
    sessions = sb.wait_sessions_closed(2)
    assert len(sb.messages) == 1
    message = sb.messages[0]
    assert message["mail_from"] == USER
    assert message["rcpt_tos"] == ["bob@example.test", "carol@example.test"]
    assert message["data"] == body
    assert message["authenticated_as"] == USER
    assert [s["message_accepted"] for s in sessions] == [True, False]
    assert sessions[0]["peer"][0] == "127.0.0.1"
    assert sessions[0]["commands"][:3] == ["ehlo client.test", "STARTTLS", "ehlo client.test"]
    assert sessions[0]["commands"][-1] == "QUIT"
    # message text is not mixed into the command record
    assert not any("line one" in c for c in sessions[0]["commands"])
    assert sessions[1]["commands"] == ["noop", "QUIT"]
    assert sessions[1]["authenticated_as"] is None

    lines = (tmp_path / "rec" / "messages.jsonl").read_text().splitlines()
    assert [json.loads(line)["data"] for line in lines] == [body.decode()]
    recorded = [json.loads(line) for line in (tmp_path / "rec" / "sessions.jsonl").read_text().splitlines()]
    assert [r["commands"] for r in recorded] == [s["commands"] for s in sessions]
    assert recorded[0]["authenticated_as"] == USER


def test_allowed_senders_extend_send_as(smtp_sandbox):
    sb = smtp_sandbox(
        security="plain",
        users=USERS,
        failure="sender_not_owned",
        allowed_senders={USER: [USER, "noreply@example.test"]},
    )
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.login(USER, PASSWORD)
        assert client.mail("NoReply@example.test")[0] == 250
        client.rset()
        assert client.mail("ceo@example.test")[0] == 553


@settings(max_examples=40, deadline=None)
@given(password=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40))
def test_any_printable_password_works_with_both_mechanisms(password):
    with SmtpSandbox(security="plain", users={USER: password}) as sb:
        _check_password(sb, password)


def _check_password(sb, password):
    for mechanism in ("PLAIN", "LOGIN"):
        with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
            client.user, client.password = USER, password
            client.ehlo()
            assert client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()))[0] == 235
        with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
            client.user, client.password = USER, password + "x"
            client.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()))


def test_utf8_password(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users={USER: "pässwörd €"})
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        client.ehlo()
        blob = base64.b64encode(("\0%s\0pässwörd €" % USER).encode("utf-8")).decode()
        assert client.docmd("AUTH", "PLAIN " + blob)[0] == 235
