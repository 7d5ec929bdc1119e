"""SandboxConfig.script: a recorded reply at a chosen stage, seen by an independent client (smtplib)."""

import smtplib

import pytest

from smtp_sandbox import SandboxConfig

USER = "alice@example.test"
PASSWORD = "script-pass"


def test_a_scripted_greeting_refusal_is_sent_and_the_connection_closed(smtp_sandbox):
    sb = smtp_sandbox(script={"greeting": ["554-gmx.net Nemesis ESMTP Service not available",
                                           "554 Bad DNS PTR resource record."]})
    with pytest.raises(smtplib.SMTPConnectError) as info:
        smtplib.SMTP(sb.host, sb.port, timeout=5)
    assert info.value.smtp_code == 554
    assert info.value.smtp_error == b"gmx.net Nemesis ESMTP Service not available\nBad DNS PTR resource record."


def test_scripted_ehlo_answers_helo_too(smtp_sandbox):
    sb = smtp_sandbox(script={"ehlo": "501 5.5.4 Invalid domain name"})
    with smtplib.SMTP(sb.host, sb.port, timeout=5) as client:
        assert client.ehlo()[0] == 501
        assert client.helo()[0] == 501


def test_scripted_auth_offers_auth_and_refuses_every_login(smtp_sandbox):
    sb = smtp_sandbox(script={"auth": "535 5.7.0 Mailgun is not loving your login or password"})
    with smtplib.SMTP(sb.host, sb.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("auth")
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login(USER, PASSWORD)
    assert info.value.smtp_code == 535


@pytest.mark.parametrize("stage,expected", [
    ("mail", (553, b"5.7.1 Sender address rejected: not owned by auth user.")),
    ("rcpt", (553, b"5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice@example.test")),
])
def test_scripted_envelope_replies_come_after_a_real_login(smtp_sandbox, stage, expected):
    reply = "%d %s" % (expected[0], expected[1].decode())
    sb = smtp_sandbox(users={USER: PASSWORD}, script={stage: reply})
    with smtplib.SMTP(sb.host, sb.port, timeout=5) as client:
        client.login(USER, PASSWORD)
        got = client.mail("bob@example.test")
        if stage == "rcpt":
            assert got[0] == 250
            got = client.rcpt("someone@example.org")
    assert got == expected
    assert sb.wait_sessions_closed(1)[0]["authenticated_as"] == USER


def test_scripted_data_and_message_replies(smtp_sandbox):
    sb = smtp_sandbox(script={"message": "550 5.7.60 SMTP; Client does not have permissions to send as this sender"})
    with smtplib.SMTP(sb.host, sb.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail("bob@example.test", ["someone@example.org"], b"Subject: x\r\n\r\nbody\r\n")
    assert info.value.smtp_code == 550
    assert sb.messages == []
    sb = smtp_sandbox(script={"data": "554 5.3.4 Message refused"})
    with smtplib.SMTP(sb.host, sb.port, timeout=5) as client:
        client.ehlo()
        assert client.mail("bob@example.test")[0] == 250 and client.rcpt("someone@example.org")[0] == 250
        assert client.docmd("DATA") == (554, b"5.3.4 Message refused")


@pytest.mark.parametrize("script,message", [
    ({"banner": "554 no"}, "unknown stage"),
    ({"mail": "hello"}, "not an SMTP reply line"),
    ({"mail": ["550-first", "551 second"]}, "not an SMTP reply line"),
    ({"mail": ["550 first", "550 second"]}, "not an SMTP reply line"),
    ({"rcpt": []}, "empty"),
])
def test_bad_scripts_are_refused_with_a_clear_error(script, message):
    with pytest.raises(ValueError) as info:
        SandboxConfig(script=script)
    assert message in str(info.value)
