"""The sandbox seen by an independent client: swaks (Debian package, installed by scripts/system-deps.sh).

swaks gives each stage its own exit code: 21 banner, 23 MAIL, 24 RCPT, 25 DATA, 26 after the message,
28 AUTH, 29 TLS; 6 when the server hangs up unexpectedly.
"""

import base64
import shutil
import subprocess

import pytest

from smtp_sandbox import FAILURES

USER = "alice@example.test"
PASSWORD = "s3cret pass"
USERS = {USER: PASSWORD}
STRANGER = "ceo@example.test"

SWAKS = shutil.which("swaks")


def swaks(sb, *extra, sender=USER, auth="PLAIN", verify=True, server=None):
    cmd = [SWAKS, "--server", server or sb.host, "--port", str(sb.port), "--helo", "client.test", "--timeout", "1"]
    cmd += ["--from", sender, "--to", "bob@example.test"]
    if auth:
        cmd += ["--auth", auth, "--auth-user", USER, "--auth-password", PASSWORD]
    if sb.security == "tls":
        cmd.append("--tlsc")
    elif sb.security in ("starttls", "starttls_required"):
        cmd.append("--tls")
    if sb.security != "plain" and verify:
        cmd += ["--tls-verify", "--tls-ca-path", sb.ca_path]
    cmd += list(extra)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    return result.returncode, result.stdout + result.stderr


def test_swaks_is_installed():
    assert SWAKS, "swaks missing: run scripts/system-deps.sh"


@pytest.mark.parametrize(
    "security, auth",
    [
        ("plain", "PLAIN"),
        ("starttls", "PLAIN"),
        ("starttls", "LOGIN"),
        ("starttls_required", "PLAIN"),
        ("tls", "LOGIN"),
    ],
)
def test_swaks_sends_through_every_security_mode(smtp_sandbox, security, auth):
    sb = smtp_sandbox(security=security, users=USERS)
    code, output = swaks(sb, auth=auth)
    assert code == 0, output
    assert len(sb.messages) == 1
    message = sb.messages[0]
    assert message["mail_from"] == USER
    assert message["rcpt_tos"] == ["bob@example.test"]
    assert message["authenticated_as"] == USER
    assert b"X-Mailer: swaks" in message["data"]
    session = sb.wait_sessions_closed(1)[0]
    assert session["auth_mechanism"] == auth
    assert session["tls"] is (security != "plain")
    if auth == "LOGIN":
        assert base64.b64encode(PASSWORD.encode()).decode() in session["commands"]


@pytest.mark.parametrize("security, cert", [("starttls", "self_signed"), ("tls", "expired")])
def test_swaks_verification_rejects_bad_certificates(smtp_sandbox, security, cert):
    sb = smtp_sandbox(security=security, cert=cert, users=USERS)
    code, output = swaks(sb)
    assert code == 29, output
    assert "certificate verify failed" in output
    assert sb.messages == []
    # without verification (swaks' default) the same server works
    code, output = swaks(sb, verify=False)
    assert code == 0, output


def test_swaks_on_ipv6(smtp_sandbox):
    sb = smtp_sandbox(security="tls", host="::1", users=USERS)
    code, output = swaks(sb)
    assert code == 0, output
    assert sb.wait_sessions_closed(1)[0]["peer"][0] == "::1"


def test_swaks_quit_after_rcpt_sends_no_message(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    code, output = swaks(sb, "--quit-after", "RCPT")
    assert code == 0, output
    session = sb.wait_sessions_closed(1)[0]
    assert sb.messages == []
    assert session["message_accepted"] is False
    assert session["commands"][-3:] == ["MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "QUIT"]


def test_swaks_wrong_password(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users={USER: "other password"})
    code, output = swaks(sb)
    assert code == 28, output
    assert "<** 535 5.7.8 Authentication credentials invalid" in output


def test_swaks_starttls_required_without_tls(smtp_sandbox):
    sb = smtp_sandbox(security="starttls_required", users=USERS)
    cmd = [SWAKS, "--server", sb.host, "--port", str(sb.port), "--helo", "client.test", "--timeout", "1"]
    cmd += ["--from", USER, "--to", "bob@example.test"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 23, result.stdout
    assert "<** 530 5.7.0 Must issue a STARTTLS command first" in result.stdout


def test_swaks_auth_required_without_auth(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, auth_required=True)
    code, output = swaks(sb, auth=None)
    assert code == 23, output
    assert "<** 530 5.7.0 Authentication required" in output


# failure -> (sender, swaks exit code, reply line swaks shows, or None)
SWAKS_CASES = {
    "sender_not_owned": (
        STRANGER,
        23,
        "<** 553 5.7.1 <ceo@example.test>: Sender address rejected: not owned by user alice@example.test",
    ),
    "send_as_denied": (STRANGER, 26, "<** 550 5.7.60 SMTP; Client does not have permissions to send as this sender"),
    "relay_denied": (USER, 24, "<** 554 5.7.1 <bob@example.test>: Relay access denied"),
    "relay_denied_temp": (USER, 24, "<** 454 4.7.1 <bob@example.test>: Relay access denied"),
    "auth_failed_gmail": (USER, 28, "<** 535-5.7.8 Username and Password not accepted. For more information, go to"),
    "auth_failed_o365": (
        USER,
        28,
        "<** 535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
    ),
    "basic_auth_disabled_o365": (
        USER,
        28,
        "<** 550 5.7.30 Basic authentication is not supported for Client Submission.",
    ),
    "app_password_required": (USER, 28, "<** 534-5.7.9 Application-specific password required."),
    "greeting_421": (USER, 21, "<** 421 4.3.2 Service not available"),
    "rcpt_temp_451": (USER, 24, "<** 451 4.7.1 Greylisted, please try again later"),
    "recipient_unknown": (USER, 24, "<** 550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown"),
    "data_refused": (USER, 25, "<** 554 5.3.4 Message refused"),
    "message_rejected": (USER, 26, "<** 552 5.3.4 Message size exceeds fixed limit"),
    "disconnect_after_ehlo": (USER, 6, "*** Remote host closed connection unexpectedly."),
    "no_banner": (USER, 21, "<** Timeout (1 secs) waiting for server response"),
    "drip_banner": (USER, 0, "<-  250 2.0.0 Ok: queued as "),
    "stall_after_ehlo": (USER, 28, "<** Timeout (1 secs) waiting for server response"),
    "unverified_sender": (
        STRANGER,
        26,
        "<** 554 Message rejected: Email address is not verified. The following identities failed the check "
        "in region EU-WEST-1: ceo@example.test",
    ),
}


def test_every_failure_mode_has_a_swaks_case():
    assert set(SWAKS_CASES) == set(FAILURES)


@pytest.mark.parametrize("failure", sorted(SWAKS_CASES))
def test_swaks_sees_failure_mode_at_its_stage(smtp_sandbox, failure):
    sender, expected_code, expected_line = SWAKS_CASES[failure]
    sb = smtp_sandbox(security="plain", users=USERS, failure=failure, drip_interval=0.01)
    code, output = swaks(sb, sender=sender)
    assert code == expected_code, output
    assert expected_line in output
    assert len(sb.messages) == (1 if expected_code == 0 else 0)
