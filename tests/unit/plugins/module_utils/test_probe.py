"""probe_smtp() against real SMTP servers on loopback: the sandbox for every failure mode it has, and small
scripted socket servers for hostile behaviour (garbage, dripping, echoing credentials, odd AUTH flows)."""

import base64
import email
import email.policy
import json
import socket
import threading
import time

import pytest

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._probe import parse_reply
from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK, secret_forms
from ansible_collections.mailops.smtp.plugins.module_utils._transcript import Transcript
from probe_failure_matrix import sandbox_failure_matrix
from probe_call import probe_call

USER = "alice@example.test"
PASSWORD = "s3cret pass-Word!"
USERS = {USER: PASSWORD}
FAST = dict(timeout=2, deadline=6)


def forbidden_strings(username=USER, password=PASSWORD):
    return [
        password,
        base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode(),
        base64.b64encode(password.encode()).decode(),
    ]


def assert_no_leak(result, username=USER, password=PASSWORD):
    text = json.dumps(result)
    for secret in forbidden_strings(username, password):
        assert secret not in text


def probe(sb, **kwargs):
    kwargs.setdefault("ca_path", sb.ca_path)
    for key, value in FAST.items():
        kwargs.setdefault(key, value)
    return probe_call(sb.server, **kwargs)


def creds(**kwargs):
    return dict(username=USER, password=PASSWORD, **kwargs)


# -- passing tests -----------------------------------------------------------------------------------------


def test_envelope_stops_after_354_and_delivers_nothing(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, **creds())
    assert result["ok"] is True and result["diagnosis"] is None
    assert [s["stage"] for s in result["probe"]["stages"]] == [
        "resolve", "connect", "greeting", "ehlo", "starttls", "ehlo", "auth", "mail", "rcpt", "data"]
    sb.wait_sessions_closed(1)
    session = sb.sessions[-1]
    assert session["commands"][-1] == "DATA"  # nothing after the 354: no RSET, no QUIT, no message text
    assert not session["message_accepted"]
    assert sb.messages == []
    assert "transcript" not in result["probe"]  # on_failure by default
    assert_no_leak(result)


def test_one_auth_attempt_with_one_mechanism(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, level="auth", username=USER, password="wrong password")
    assert result["diagnosis"]["category"] == "auth_failed"
    assert result["diagnosis"]["stage"] == "auth"
    sb.wait_sessions_closed(1)
    auth_lines = [c for c in sb.sessions[-1]["commands"] if c.upper().startswith("AUTH")]
    assert len(auth_lines) == 1
    assert result["probe"]["auth_mechanism"] == "PLAIN"
    assert_no_leak(result, password="wrong password")


def test_send_delivers_one_labelled_message(smtp_sandbox):
    sb = smtp_sandbox(security="tls", users=USERS, allowed_senders={USER: [USER, "crm@example.test"]})
    result = probe(sb, level="send", from_email="crm@example.test", from_name="Example CRM",
                   test_sender=USER, **creds())
    assert result["ok"] is True, result["msg"]
    sb.wait_for(lambda s: len(s.messages) == 1)
    message = sb.messages[0]
    assert message["mail_from"] == USER and message["rcpt_tos"] == [USER]
    parsed = email.message_from_bytes(message["data"], policy=email.policy.default)
    assert parsed["From"] == "Example CRM <crm@example.test>"
    assert parsed["Reply-To"] == USER
    assert parsed["To"] == USER
    assert parsed["Subject"] == "mailops.smtp test message"
    assert parsed["Date"] and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"] == result["probe"]["message_id"]
    assert "mailops.smtp" in parsed.get_content()
    assert_no_leak(result)


def test_check_mode_downgrades_send_to_envelope(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, level="send", check_mode=True, **creds())
    assert result["ok"] is True
    assert result["probe"]["level"] == "envelope"
    assert any("Check mode" in w for w in result["warnings"])
    sb.wait_sessions_closed(1)
    assert sb.messages == []


@pytest.mark.parametrize("level,last", [("connect", "greeting"), ("tls", "ehlo"), ("auth", "auth")])
def test_levels_stop_where_designed(smtp_sandbox, level, last):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, level=level, **creds())
    assert result["ok"] is True
    assert result["probe"]["stages"][-1]["stage"] == last
    sb.wait_sessions_closed(1)
    commands = sb.sessions[-1]["commands"]
    assert not any(c.startswith("MAIL") for c in commands)
    assert commands[-1] == "QUIT"


def test_level_none_does_not_connect():
    result = probe_call("tls://192.0.2.1:587", level="none")
    assert result["ok"] is True and result["probe"] == {"level": "none"}


def test_tls_evidence_and_certificate(smtp_sandbox):
    sb = smtp_sandbox(security="tls")
    result = probe(sb, level="tls", transcript="always")
    tls = result["probe"]["tls"]
    assert tls["version"] in ("TLSv1.2", "TLSv1.3") and tls["cipher"] and tls["verified"] is True
    cert = tls["certificate"]
    assert "IP Address:127.0.0.1" in cert["subject_alt_names"]
    assert cert["issuer"] and cert["not_after"].endswith("Z") and cert["days_left"] > 14
    assert result["probe"]["banner"].startswith("localhost")
    assert any(line.startswith("<~  220") for line in result["probe"]["transcript"])  # greeting inside TLS


def test_ipv6_literal_and_ehlo_name(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", host="::1", users=USERS)
    result = probe(sb, level="auth", ehlo_name="app01.example.test", **creds())
    assert result["ok"] is True, result["msg"]
    assert result["probe"]["address"] == "::1"
    assert result["probe"]["server"].startswith("tls://[::1]:")
    sb.wait_sessions_closed(1)
    assert "EHLO app01.example.test" in sb.sessions[-1]["commands"]


def test_validate_certs_false_accepts_a_self_signed_certificate_with_a_warning(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", cert="self_signed")
    result = probe(sb, level="tls", validate_certs=False, ca_path=None)
    assert result["ok"] is True
    assert result["probe"]["tls"]["verified"] is False
    assert result["probe"]["tls"]["certificate"]["subject_alt_names"]
    assert any("validate_certs" in w for w in result["warnings"])


def test_plaintext_credentials_only_with_security_none_and_a_warning(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS, auth_before_tls=True)
    result = probe(sb, level="auth", **creds())
    assert result["ok"] is True, result["msg"]
    assert any("unencrypted" in w for w in result["warnings"])


def test_several_servers_are_each_tested(smtp_sandbox):
    good = smtp_sandbox(security="starttls", users=USERS)
    bad = smtp_sandbox(security="starttls", users=USERS, failure="recipient_unknown")
    result = probe_call("%s;%s" % (good.server, bad.server), ca_path=good.ca_path, **creds(**FAST))
    assert result["ok"] is False
    assert [s["ok"] for s in result["probe"]["servers"]] == [True, False]
    assert result["diagnosis"]["server"] == bad.server
    assert result["diagnosis"]["category"] == "recipient_rejected"


# -- every sandbox failure mode -> category and stage ------------------------------------------------------

SANDBOX_FAILURES = sandbox_failure_matrix(USER, PASSWORD)


@pytest.mark.parametrize("config,options,category,stage", [c[1:] for c in SANDBOX_FAILURES],
                         ids=[c[0] for c in SANDBOX_FAILURES])
def test_sandbox_failure_modes_map_to_category_and_stage(smtp_sandbox, config, options, category, stage):
    sb = smtp_sandbox(**config)
    options = dict(options)
    server = sb.server
    security = options.pop("security", None)
    if security is not None:
        server = "%s:%d" % (sb.host, sb.port)
    started = time.monotonic()
    servers = parse_servers(server, security=security)
    result = probe_call(servers, **dict(dict(FAST, ca_path=sb.ca_path), **options))
    elapsed = time.monotonic() - started
    assert result["ok"] is False
    diagnosis = result["diagnosis"]
    assert (diagnosis["category"], diagnosis["stage"]) == (category, stage), result["msg"]
    assert diagnosis["hint"] and diagnosis["server_message"]
    assert result["msg"].startswith("SMTP test failed at stage %s" % stage)
    assert "\n" not in result["msg"]
    assert any(line.startswith("*** %s failed" % stage) for line in result["probe"]["transcript"])
    # slack for a loaded machine (two xdist workers, other jobs); the drip banner alone would take over 7 s
    assert elapsed <= options.get("deadline", FAST["deadline"]) + 4
    assert_no_leak(result)


def test_send_only_failures_say_so_and_envelope_cannot_see_them(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS, failure="send_as_denied")
    envelope = probe(sb, test_sender="ceo@example.test", **creds())
    assert envelope["ok"] is True
    send = probe(sb, level="send", test_sender="ceo@example.test", **creds())
    assert send["diagnosis"]["only_send_conclusive"] is True
    assert send["diagnosis"]["smtp_code"] == 550 and send["diagnosis"]["enhanced_status"] == "5.7.60"


def test_gmail_hint_and_multiline_reply(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", failure="auth_failed_gmail")
    diagnosis = probe(sb, **creds())["diagnosis"]
    assert diagnosis["smtp_code"] == 535 and diagnosis["enhanced_status"] == "5.7.8"
    assert "BadCredentials" in diagnosis["server_message"]
    assert "App Password" in diagnosis["hint"]


def test_certificate_failure_shows_the_certificate(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", cert="wrong_host")
    result = probe(sb, level="tls")
    assert "mismatch" in result["diagnosis"]["server_message"]
    tls = result["probe"]["tls"]
    assert tls["verified"] is False
    assert tls["certificate"]["subject_alt_names"] == ["DNS:mail.other.test"]


def test_expired_certificate_is_reported_with_days_left(smtp_sandbox):
    sb = smtp_sandbox(security="tls", cert="expired")
    result = probe(sb, level="tls")
    assert "expired" in result["diagnosis"]["hint"]
    assert result["probe"]["tls"]["certificate"]["days_left"] < 0


# -- suggestions -------------------------------------------------------------------------------------------


def test_plaintext_on_implicit_tls_port_suggests_implicit_tls(smtp_sandbox):
    sb = smtp_sandbox(security="tls")
    servers = parse_servers("%s:%d" % (sb.host, sb.port), security="starttls")
    result = probe_call(servers, level="tls", ca_path=sb.ca_path, timeout=0.5, deadline=5)
    suggestion = result["diagnosis"]["suggestion"]
    assert suggestion == dict(server="ssl://127.0.0.1:%d" % sb.port, security="tls", port=sb.port,
                              verified_stage="ehlo", secure=True)


def test_implicit_tls_on_starttls_port_suggests_starttls(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe_call("ssl://%s:%d" % (sb.host, sb.port), level="auth", ca_path=sb.ca_path, **creds(**FAST))
    assert result["diagnosis"]["category"] == "tls_handshake_failure"
    assert result["diagnosis"]["suggestion"]["server"] == "tls://127.0.0.1:%d" % sb.port
    assert result["diagnosis"]["suggestion"]["verified_stage"] == "auth"
    assert sb.wait_for(lambda s: any("STARTTLS" in x["commands"] and x["closed"] for x in s.sessions))
    # The search never sends credentials.
    assert not any(c.upper().startswith("AUTH") for s in sb.sessions for c in s["commands"])


def test_plaintext_is_suggested_only_as_last_resort_and_marked_insecure(smtp_sandbox):
    sb = smtp_sandbox(security="plain")
    result = probe_call("tls://%s:%d" % (sb.host, sb.port), level="tls", **FAST)
    assert result["diagnosis"]["category"] == "starttls_not_offered"
    assert result["diagnosis"]["suggestion"]["secure"] is False
    assert result["diagnosis"]["suggestion"]["server"] == "smtp://127.0.0.1:%d" % sb.port


def test_no_suggestion_for_failures_another_mode_would_not_fix(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, username=USER, password="bad password 1")
    assert result["diagnosis"]["suggestion"] is None


# -- network failures --------------------------------------------------------------------------------------


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connection_refused():
    result = probe_call("tls://127.0.0.1:%d" % free_port(), level="connect", **FAST)
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("connection_refused", "connect")


def test_dns_failure_for_a_name_that_cannot_resolve():
    result = probe_call("tls://no-such-host.invalid:587", level="connect", **FAST)
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("dns_failure", "resolve")


def test_idna_names_are_resolved_in_their_ascii_form():
    result = probe_call("tls://bücher.invalid:587", level="connect", transcript="always", **FAST)
    assert result["diagnosis"]["category"] == "dns_failure"
    assert result["probe"]["server"] == "tls://bücher.invalid:587"


# -- scripted hostile servers ------------------------------------------------------------------------------


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and runs ``script(conn)`` for each, in a thread."""

    def __init__(self, script):
        self.script = script
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        conn.settimeout(10)
        try:
            self.script(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def readline(self, conn):
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(1)
            if not chunk:
                raise OSError("closed")
            data += chunk
        line = data.decode().rstrip("\r\n")
        self.received.append(line)
        return line

    def close(self):
        self.stopped = True
        self.sock.close()


@pytest.fixture
def scripted():
    servers = []

    def start(script):
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def dialogue(replies, banner=b"220 scripted ESMTP\r\n"):
    """A script: send the banner, then answer each line with ``replies(line)`` (bytes, or None to stay silent)."""

    def script(conn, server):
        conn.sendall(banner)
        while True:
            line = server.readline(conn)
            answer = replies(line)
            if answer is None:
                time.sleep(30)
                return
            conn.sendall(answer)
            if line.upper() == "QUIT":
                return

    return script


def ehlo_then(extensions, handler):
    def replies(line):
        if line.upper().startswith("EHLO"):
            lines = ["scripted"] + extensions
            return ("".join("250-%s\r\n" % e for e in lines[:-1]) + "250 %s\r\n" % lines[-1]).encode()
        if line.upper() == "QUIT":
            return b"221 bye\r\n"
        return handler(line)

    return replies


def test_drip_after_greeting_is_bounded_by_the_deadline(scripted):
    def script(conn, server):
        conn.sendall(b"220 scripted ESMTP\r\n")
        server.readline(conn)
        for byte in b"250-scripted\r\n250-PIPELINING\r\n250 HELP\r\n" * 50:
            conn.sendall(bytes([byte]))
            time.sleep(0.05)

    server = scripted(script)
    started = time.monotonic()
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="tls", timeout=1, deadline=1.5)
    assert time.monotonic() - started <= 2.5
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("timeout", "ehlo")


def test_silent_server_is_bounded_by_the_deadline(scripted):
    server = scripted(lambda conn, srv: time.sleep(20))
    started = time.monotonic()
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="connect", timeout=5, deadline=1, suggest=False)
    assert time.monotonic() - started <= 2
    assert result["diagnosis"]["category"] == "greeting_failure"


def test_silent_implicit_tls_handshake_is_bounded_by_the_deadline(scripted):
    server = scripted(lambda conn, srv: time.sleep(20))
    started = time.monotonic()
    result = probe_call("ssl://127.0.0.1:%d" % server.port, level="connect", timeout=5, deadline=1, suggest=False)
    assert time.monotonic() - started <= 2
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("tls_handshake_failure", "connect")


def test_garbage_instead_of_a_greeting(scripted):
    server = scripted(dialogue(lambda line: b"", banner=b"SSH-2.0-OpenSSH_9.2\r\n"))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="connect", **FAST)
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("greeting_failure", "greeting")
    assert "SSH-2.0" in result["diagnosis"]["server_message"]


def test_endless_line_is_a_protocol_error(scripted):
    def script(conn, server):
        conn.sendall(b"220 scripted\r\n")
        server.readline(conn)
        conn.sendall(b"250-" + b"x" * 20000)
        time.sleep(5)

    server = scripted(script)
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="tls", **FAST)
    assert (result["diagnosis"]["category"], result["diagnosis"]["stage"]) == ("protocol_error", "ehlo")


def test_helo_fallback_for_servers_without_esmtp(scripted):
    def replies(line):
        if line.startswith("EHLO"):
            return b"502 5.5.2 Command not recognized\r\n"
        if line.startswith("HELO"):
            return b"250 scripted\r\n"
        return b"221 bye\r\n"

    server = scripted(dialogue(replies))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="tls", **FAST)
    assert result["ok"] is True
    assert server.received[:2] == ["EHLO %s" % result["probe"]["ehlo_name"], "HELO %s" % result["probe"]["ehlo_name"]]


def test_login_mechanism_redacted_and_single_attempt(scripted):
    def handler(line):
        if line == "AUTH LOGIN":
            return b"334 VXNlcm5hbWU6\r\n"
        if line == base64.b64encode(USER.encode()).decode():
            return b"334 UGFzc3dvcmQ6\r\n"
        return b"535 5.7.8 Authentication credentials invalid\r\n"

    server = scripted(dialogue(ehlo_then(["AUTH LOGIN"], handler)))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="auth", transcript="always", **creds(**FAST))
    assert result["diagnosis"]["category"] == "auth_failed"
    assert server.received[1:4] == ["AUTH LOGIN", base64.b64encode(USER.encode()).decode(),
                                    base64.b64encode(PASSWORD.encode()).decode()]
    transcript = result["probe"]["transcript"]
    assert " -> AUTH LOGIN" in transcript
    assert transcript.count(" -> " + MASK) == 2
    assert "<-  334 " + MASK in transcript
    assert "<-  535 5.7.8 Authentication credentials invalid" in transcript
    assert_no_leak(result)


def test_cram_md5_is_preferred_in_plaintext(scripted):
    import hashlib
    import hmac

    challenge = b"<1896.697170952@scripted>"

    def handler(line):
        if line == "AUTH CRAM-MD5":
            return b"334 " + base64.b64encode(challenge) + b"\r\n"
        expected = USER + " " + hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()
        if base64.b64decode(line).decode() == expected:
            return b"235 2.7.0 ok\r\n"
        return b"535 5.7.8 no\r\n"

    server = scripted(dialogue(ehlo_then(["AUTH PLAIN LOGIN CRAM-MD5"], handler)))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="auth", **creds(**FAST))
    assert result["ok"] is True, result["msg"]
    assert result["probe"]["auth_mechanism"] == "CRAM-MD5"


def test_a_server_echoing_the_credentials_cannot_leak_them(scripted):
    def handler(line):
        return ("535 5.7.8 rejected %s (%s) %s\r\n" % (line, PASSWORD, base64.b64encode(PASSWORD.encode()).decode())
                ).encode()

    server = scripted(dialogue(ehlo_then(["AUTH PLAIN"], handler)))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="auth", transcript="always", **creds(**FAST))
    assert result["diagnosis"]["category"] == "auth_failed"
    assert MASK in result["diagnosis"]["server_message"]
    assert_no_leak(result)


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_a_server_echoing_an_oauth_token_cannot_leak_it(scripted, mechanism):
    """The secret scan for OAuth 2.0: a server that echoes the initial response, the decoded token and its
    base64 in its replies (plaintext here, so the wire form is ours to read) - none of it reaches the result."""
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"

    def handler(line):
        initial = line.split(" ", 2)[2] if line.startswith("AUTH ") else line
        return ("535 5.7.8 refused %s %s %s %s\r\n" % (line, initial.rstrip("="), token,
                                                       base64.b64encode(token.encode()).decode())).encode()

    server = scripted(dialogue(ehlo_then(["AUTH " + mechanism], handler)))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="auth", transcript="always", username=USER,
                        oauth2=dict(access_token=token), **FAST)
    assert result["diagnosis"]["category"] == "auth_failed" and result["probe"]["auth_mechanism"] == mechanism
    sent = server.received[[line.startswith("AUTH ") for line in server.received].index(True)].split(" ", 2)[2]
    assert token in base64.b64decode(sent).decode()          # the wire carried the token ...
    text = json.dumps(result)
    for form in (token, sent, sent.rstrip("="), base64.b64encode(token.encode()).decode()):
        assert form not in text                                # ... and no output carries any form of it
    for part in token.split("."):
        assert part not in text


def test_unexpected_334_after_credentials_is_cancelled(scripted):
    def handler(line):
        if line == "*":
            return b"501 5.7.0 cancelled\r\n"
        return b"334 \r\n"

    server = scripted(dialogue(ehlo_then(["AUTH PLAIN"], handler)))
    result = probe_call("smtp://127.0.0.1:%d" % server.port, level="auth", transcript="always", **creds(**FAST))
    assert result["ok"] is False
    assert result["diagnosis"]["stage"] == "auth"
    assert server.received[-1] == "*"
    assert_no_leak(result)


# -- input errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,option", [
    (dict(level="envelope"), "test_sender"),
    (dict(level="send", username="not-an-address", password="x"), "test_sender"),
    (dict(test_sender="a@example.test\r\nRCPT TO:<x@y>"), "test_sender"),
    (dict(test_sender="not an address"), "test_sender"),
    (dict(test_sender="a@example.test", test_recipient="b"), "test_recipient"),
    (dict(level="tls", ehlo_name="bad name"), "ehlo_name"),
    (dict(level="tls", ehlo_name="x\r\nMAIL FROM:<a@b>"), "ehlo_name"),
    (dict(level="auth", auth=True), "username"),
    (dict(level="auth", username="u"), "password"),
    (dict(level="auth", username="u", password="a\nb"), "password"),
    (dict(level="bogus"), "test"),
    (dict(level="tls", transcript="sometimes"), "transcript"),
    (dict(level="tls", timeout=0), "timeout"),
    (dict(level="tls", deadline=-1), "deadline"),
    (dict(level="tls", ca_path="/nonexistent/ca.pem"), "ca_path"),
    (dict(level="send", from_email="crm", test_sender="a@example.test"), "from_email"),
    (dict(level="send", from_name="x\r\nBcc: victim@example.test", test_sender="a@example.test"), "from_name"),
])
def test_bad_input_names_the_option(kwargs, option):
    with pytest.raises(SettingsError) as info:
        probe_call("tls://127.0.0.1:1", **kwargs)
    assert info.value.option == option
    assert "a\nb" not in str(info.value)


def test_test_sender_defaults(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    result = probe(sb, **creds())
    assert result["probe"]["test_sender"] == USER and result["probe"]["test_recipient"] == USER
    result = probe(sb, from_email="crm@example.test", level="envelope")
    assert result["probe"]["test_sender"] == "crm@example.test"


# -- transcript --------------------------------------------------------------------------------------------


def test_transcript_modes(smtp_sandbox):
    sb = smtp_sandbox(security="starttls")
    assert "transcript" not in probe(sb, level="tls")["probe"]
    assert "transcript" in probe(sb, level="tls", transcript="always")["probe"]
    bad = smtp_sandbox(security="starttls", failure="greeting_421")
    assert "transcript" not in probe(bad, level="tls", transcript="never")["probe"]
    assert "transcript" in probe(bad, level="tls")["probe"]


def test_transcript_redacts_by_protocol_state():
    recorder = Transcript()
    recorder.client("EHLO me")
    recorder.server("250 AUTH PLAIN LOGIN")
    recorder.tls = True
    recorder.client("AUTH PLAIN AGFsaWNlAHB3")
    recorder.server("334 ")
    recorder.client("AGFsaWNlAHB3")
    recorder.server("235 2.7.0 ok")
    recorder.client("MAIL FROM:<a@b>")
    assert recorder.lines == [" -> EHLO me", "<-  250 AUTH PLAIN LOGIN", " ~> AUTH PLAIN ********",
                              "<~  334 ********", " ~> ********", "<~  235 2.7.0 ok", " ~> MAIL FROM:<a@b>"]


def test_secret_forms_cover_the_wire_encodings():
    forms = secret_forms("u@example.test", "pw-123")
    assert "pw-123" in forms
    assert base64.b64encode(b"\0u@example.test\0pw-123").decode() in forms
    assert base64.b64encode(b"pw-123").decode() in forms


@pytest.mark.parametrize("lines,expected", [
    (["250 ok"], (250, None, "ok")),
    (["535-5.7.8 Username and Password not accepted.", "535 5.7.8  https://x/?p=BadCredentials"],
     (535, "5.7.8", "Username and Password not accepted. https://x/?p=BadCredentials")),
    (["554 Message rejected: Email address is not verified."],
     (554, None, "Message rejected: Email address is not verified.")),
    (["220"], (220, None, "")),
    (["530 4.7.0 mismatched class"], (530, None, "4.7.0 mismatched class")),
])
def test_parse_reply(lines, expected):
    assert parse_reply(lines) == expected


def test_certificate_expiring_soon_gives_a_warning(scripted, tmp_path):
    import datetime
    import ssl

    import trustme

    ca = trustme.CA()
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=5)
    leaf = ca.issue_cert("127.0.0.1", not_after=soon)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    plain = dialogue(ehlo_then(["PIPELINING"], lambda line: b"502 no\r\n"))
    server = scripted(lambda conn, srv: plain(context.wrap_socket(conn, server_side=True), srv))
    result = probe_call("ssl://127.0.0.1:%d" % server.port, level="tls", ca_path=str(ca_file), **FAST)
    assert result["ok"] is True, result["msg"]
    assert result["probe"]["tls"]["certificate"]["days_left"] in (4, 5)
    assert any("expires in" in w for w in result["warnings"])


def test_control_characters_in_a_reply_are_escaped_in_the_message(smtp_sandbox):
    """A server's ESC c, CSI and C1 controls never reach msg raw (Ansible prints it to the terminal)."""
    sb = smtp_sandbox(script={"greeting": "554 5.3.2 \x1bc\x1b[2Jbusy\x9b31m\u202eend"})
    result = probe(sb, level="connect")
    assert result["ok"] is False
    assert "\\x1bc\\x1b[2Jbusy\\x9b31m\\u202eend" in result["msg"], result["msg"]
    assert not any(ord(char) < 0x20 or 0x7f <= ord(char) <= 0x9f or char == "\u202e" for char in result["msg"])
