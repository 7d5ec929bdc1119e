"""Every failure mode, driven by smtplib through a full dialogue: where it fails, and with which reply."""

import smtplib
import socket
import ssl

import pytest

from smtp_sandbox import FAILURES

USER = "alice@example.test"
PASSWORD = "s3cret pass"
USERS = {USER: PASSWORD}
STRANGER = "ceo@example.test"
RCPT = "bob@example.test"
MESSAGE = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: test\r\n\r\nhello\r\n"


def dialogue(sb, sender=USER, login=True, timeout=1.0):
    """Go as far as the server lets us; return (stage, code, text) of the first failure or ("sent", 250, ...)."""
    context = ssl.create_default_context(cafile=sb.ca_path)
    stage = "connect"
    client = None
    try:
        if sb.security == "tls":
            client = smtplib.SMTP_SSL(sb.host, sb.port, local_hostname="client.test", timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=timeout)
        stage = "ehlo"
        code, text = client.ehlo()
        if code != 250:
            return stage, code, text.decode()
        if sb.security in ("starttls", "starttls_required"):
            stage = "starttls"
            client.starttls(context=context)
            client.ehlo()
        if login:
            stage = "auth"
            client.user, client.password = USER, PASSWORD
            client.auth("PLAIN", client.auth_plain)
        for stage, call in (("mail", lambda: client.mail(sender)), ("rcpt", lambda: client.rcpt(RCPT))):
            code, text = call()
            if code != 250:
                return stage, code, text.decode()
        stage = "data"
        code, text = client.data(MESSAGE)
        if code != 250:
            return "message", code, text.decode()
        return "sent", code, text.decode()
    except smtplib.SMTPResponseException as exc:
        return stage, exc.smtp_code, exc.smtp_error.decode()
    except smtplib.SMTPServerDisconnected as exc:
        return stage, None, "timed out" if "timed out" in str(exc) else "disconnected"
    finally:
        if client is not None:
            client.close()


GMAIL = (
    "5.7.8 Username and Password not accepted. For more information, go to\n"
    "5.7.8  https://support.google.com/mail/?p=BadCredentials sandbox.1 - gsmtp"
)
APP_PASSWORD = (
    "5.7.9 Application-specific password required. For more information, go to\n"
    "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor sandbox.1 - gsmtp"
)
O365 = "5.7.139 Authentication unsuccessful, the user credentials were incorrect. [SANDBOX.prod.outlook.com]"
O365_BASIC_OFF = "5.7.30 Basic authentication is not supported for Client Submission. [SANDBOX.prod.outlook.com]"

# failure -> (sender, expected stage, code, text)
CASES = {
    "sender_not_owned": (
        STRANGER,
        "mail",
        553,
        "5.7.1 <ceo@example.test>: Sender address rejected: not owned by user alice@example.test",
    ),
    "send_as_denied": (
        STRANGER,
        "message",
        550,
        "5.7.60 SMTP; Client does not have permissions to send as this sender",
    ),
    "relay_denied": (USER, "rcpt", 554, "5.7.1 <bob@example.test>: Relay access denied"),
    "relay_denied_temp": (USER, "rcpt", 454, "4.7.1 <bob@example.test>: Relay access denied"),
    "auth_failed_gmail": (USER, "auth", 535, GMAIL),
    "auth_failed_o365": (USER, "auth", 535, O365),
    "basic_auth_disabled_o365": (USER, "auth", 550, O365_BASIC_OFF),
    "app_password_required": (USER, "auth", 534, APP_PASSWORD),
    "greeting_421": (USER, "connect", 421, "4.3.2 Service not available"),
    "rcpt_temp_451": (USER, "rcpt", 451, "4.7.1 Greylisted, please try again later"),
    "recipient_unknown": (
        USER,
        "rcpt",
        550,
        "5.1.1 <bob@example.test>: Recipient address rejected: User unknown in virtual mailbox table",
    ),
    "data_refused": (USER, "data", 554, "5.3.4 Message refused: DATA not accepted from this client"),
    "message_rejected": (USER, "message", 552, "5.3.4 Message size exceeds fixed limit"),
    "disconnect_after_ehlo": (USER, "auth", None, "disconnected"),
    "no_banner": (USER, "connect", None, "timed out"),
    "drip_banner": (USER, "sent", 250, None),
    "stall_after_ehlo": (USER, "auth", None, "timed out"),
    "unverified_sender": (
        STRANGER,
        "message",
        554,
        "Message rejected: Email address is not verified. The following identities failed the check "
        "in region EU-WEST-1: ceo@example.test",
    ),
}


def test_every_failure_mode_has_a_case():
    assert set(CASES) == set(FAILURES)


@pytest.mark.parametrize("failure", sorted(CASES))
def test_failure_mode(smtp_sandbox, failure):
    sender, stage, code, text = CASES[failure]
    sb = smtp_sandbox(security="plain", users=USERS, failure=failure, drip_interval=0.01)
    got = dialogue(sb, sender=sender, timeout=0.5)
    assert got[:2] == (stage, code)
    if text is not None:
        assert got[2] == text
    else:
        assert got[2].startswith("2.0.0 Ok: queued as ")
    if stage != "sent":
        assert sb.messages == []


@pytest.mark.parametrize(
    "failure, security",
    [
        ("greeting_421", "tls"),
        ("no_banner", "tls"),
        ("stall_after_ehlo", "starttls"),
        ("disconnect_after_ehlo", "tls"),
        ("auth_failed_o365", "starttls_required"),
        ("send_as_denied", "starttls"),
        ("relay_denied", "tls"),
    ],
)
def test_failure_modes_work_inside_tls(smtp_sandbox, failure, security):
    sender, stage, code, text = CASES[failure]
    if failure == "stall_after_ehlo":
        stage = "starttls"  # the first command after EHLO is STARTTLS here
    sb = smtp_sandbox(security=security, users=USERS, failure=failure)
    got = dialogue(sb, sender=sender, timeout=0.5)
    assert got == (stage, code, text)


@pytest.mark.parametrize("failure", ["sender_not_owned", "send_as_denied", "unverified_sender"])
def test_sender_checks_let_the_own_address_through(smtp_sandbox, failure):
    sb = smtp_sandbox(security="plain", users=USERS, failure=failure)
    stage, code, dummy = dialogue(sb, sender=USER)
    assert (stage, code) == ("sent", 250)
    assert sb.messages[0]["mail_from"] == USER
    assert sb.messages[0]["authenticated_as"] == USER


def test_sender_not_owned_without_login_says_not_logged_in(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, failure="sender_not_owned")
    assert dialogue(sb, sender=USER, login=False) == (
        "mail",
        553,
        "5.7.1 <alice@example.test>: Sender address rejected: not logged in",
    )


@pytest.mark.parametrize("failure", ["auth_failed_gmail", "auth_failed_o365", "basic_auth_disabled_o365",
                                     "app_password_required"])
def test_auth_failures_offer_auth_even_without_users(smtp_sandbox, failure):
    sb = smtp_sandbox(security="plain", failure=failure)
    assert dialogue(sb)[:2] == CASES[failure][1:3]


def test_auth_failure_is_sent_as_multiline_reply_on_the_wire(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, failure="auth_failed_gmail")
    with socket.create_connection((sb.host, sb.port), timeout=3) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"EHLO client.test\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        sock.sendall(b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQgcGFzcw==\r\n")
        assert reader.readline() == b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
        assert reader.readline().startswith(b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials ")


def test_drip_banner_sends_the_greeting_byte_by_byte(smtp_sandbox):
    sb = smtp_sandbox(security="plain", failure="drip_banner", drip_interval=0.02)
    chunks = []
    with socket.create_connection((sb.host, sb.port), timeout=3) as sock:
        while not b"".join(chunks).endswith(b"\r\n"):
            chunk = sock.recv(100)
            assert chunk
            chunks.append(chunk)
    banner = b"".join(chunks)
    assert banner == b"220 localhost ESMTP mailops sandbox\r\n"
    assert len(chunks) > len(banner) // 2


def test_stall_after_ehlo_records_what_it_ignores(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, failure="stall_after_ehlo")
    assert dialogue(sb, timeout=0.3) == ("auth", None, "timed out")
    session = sb.wait_sessions_closed(1)[0]
    assert session["commands"][0] == "ehlo client.test"
    assert session["commands"][1].startswith("AUTH PLAIN ")
    assert session["replies"][-1] == "250 HELP"
