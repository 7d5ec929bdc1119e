"""start()/stop(): stop cuts every open connection, even hostile or half-open ones, and records them."""

import json
import socket
import ssl

import pytest

from smtp_sandbox import SandboxConfig, SmtpSandbox


def _connection_is_cut(sock):
    """True when the server side closed or reset: recv returns EOF/reset instead of timing out."""
    sock.settimeout(5)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, ssl.SSLError):
        return True
    except socket.timeout:
        return False


@pytest.mark.parametrize(
    "failure, security, talk",
    [
        ("stall_after_ehlo", "plain", b"EHLO client.test\r\nMAIL FROM:<a@example.test>\r\n"),
        ("no_banner", "plain", b""),
        ("drip_banner", "starttls", b""),
        (None, "tls", None),  # TCP connected, TLS handshake never started by the client
        (None, "starttls", b"EHLO client.test\r\nSTARTTLS\r\n"),  # server waits for the client's handshake
    ],
)
def test_stop_cuts_open_connections(tmp_path, failure, security, talk):
    sb = SmtpSandbox(SandboxConfig(security=security, failure=failure), record_dir=str(tmp_path)).start()
    try:
        sock = socket.create_connection((sb.host, sb.port), timeout=5)
        if talk:
            sock.sendall(talk)
        if talk is not None:
            # the server has seen this connection (and what was said on it)
            assert sb.wait_for(lambda s: len(s.sessions) == 1 and (s.sessions[0]["commands"] or not talk))
    finally:
        sb.stop()
    try:
        assert _connection_is_cut(sock)
    finally:
        sock.close()
    assert not sb.running
    if talk is not None:
        assert sb.sessions[0]["closed"] is True
        with open(tmp_path / "sessions.jsonl", encoding="utf-8") as handle:
            recorded = [json.loads(line) for line in handle]
        assert [r["commands"] for r in recorded] == [sb.sessions[0]["commands"]]


def test_port_is_free_after_stop():
    sb = SmtpSandbox(security="plain").start()
    port = sb.port
    sb.stop()
    again = SmtpSandbox(security="plain", port=port).start()
    try:
        assert again.port == port
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            assert sock.recv(100).startswith(b"220 ")
    finally:
        again.stop()


def test_context_manager_and_double_stop():
    with SmtpSandbox(security="plain") as sb:
        assert sb.running
        with socket.create_connection((sb.host, sb.port), timeout=3) as sock:
            assert sock.recv(100) == b"220 localhost ESMTP mailops sandbox\r\n"
    assert not sb.running
    sb.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sb.host, sb.port), timeout=3).close()


def test_failed_start_cleans_up():
    with SmtpSandbox(security="plain") as first:
        second = SmtpSandbox(security="plain", port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert not second.running
        assert second.ca_path is None or not __import__("os").path.exists(second.ca_path)
