"""Security modes, certificates and address families of the sandbox, driven by smtplib."""

import smtplib
import socket
import ssl

import pytest

from smtp_sandbox import CERT_KINDS, WRONG_HOST_NAME, SandboxConfig, SmtpSandbox

USERS = {"alice@example.test": "s3cret pass"}


def _ehlo_lines(client):
    code, text = client.ehlo()
    assert code == 250
    return text.decode().splitlines()


def _ctx(sb):
    return ssl.create_default_context(cafile=sb.ca_path)


def test_plain_offers_auth_but_no_starttls(smtp_sandbox):
    sb = smtp_sandbox(security="plain", users=USERS)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        lines = _ehlo_lines(client)
        assert "STARTTLS" not in lines
        assert "AUTH LOGIN PLAIN" in lines
    assert sb.server == "smtp://127.0.0.1:%d" % sb.port


def test_starttls_hides_auth_until_tls(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        before = _ehlo_lines(client)
        assert "STARTTLS" in before
        assert not any(line.startswith("AUTH") for line in before)
        code, text = client.docmd("AUTH", "PLAIN")
        assert code == 538
        client.starttls(context=_ctx(sb))
        after = _ehlo_lines(client)
        assert "AUTH LOGIN PLAIN" in after
        assert "STARTTLS" not in after
        assert client.login("alice@example.test", "s3cret pass")[0] == 235
    session = sb.wait_sessions_closed(1)[0]
    assert session["tls"] is True
    assert session["tls_version"].startswith("TLSv1.")
    assert session["authenticated_as"] == "alice@example.test"
    assert sb.server == "tls://127.0.0.1:%d" % sb.port


def test_starttls_with_auth_before_tls(smtp_sandbox):
    sb = smtp_sandbox(security="starttls", users=USERS, auth_before_tls=True)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        lines = _ehlo_lines(client)
        assert "STARTTLS" in lines and "AUTH LOGIN PLAIN" in lines
        assert client.login("alice@example.test", "s3cret pass")[0] == 235
    assert sb.wait_sessions_closed(1)[0]["tls"] is False


def test_starttls_required_refuses_mail_and_auth_before_tls(smtp_sandbox):
    sb = smtp_sandbox(security="starttls_required", users=USERS, auth_before_tls=True)
    with smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=3) as client:
        assert "STARTTLS" in _ehlo_lines(client)
        assert client.mail("alice@example.test") == (530, b"5.7.0 Must issue a STARTTLS command first")
        assert client.docmd("AUTH", "PLAIN")[0] == 530
        assert client.noop()[0] == 250
        client.starttls(context=_ctx(sb))
        client.ehlo()
        assert client.login("alice@example.test", "s3cret pass")[0] == 235
        assert client.mail("alice@example.test")[0] == 250
    assert sb.server.startswith("tls://")


def test_implicit_tls_offers_auth_inside_tls(smtp_sandbox):
    sb = smtp_sandbox(security="tls", users=USERS)
    with smtplib.SMTP_SSL(sb.host, sb.port, local_hostname="client.test", timeout=3, context=_ctx(sb)) as client:
        lines = _ehlo_lines(client)
        assert "AUTH LOGIN PLAIN" in lines
        assert "STARTTLS" not in lines
        assert client.login("alice@example.test", "s3cret pass")[0] == 235
    session = sb.wait_sessions_closed(1)[0]
    assert session["tls"] is True
    assert session["replies"][0] == "220 localhost ESMTP mailops sandbox"
    assert sb.server == "ssl://127.0.0.1:%d" % sb.port


def test_plaintext_client_on_implicit_tls_port_sees_no_banner(smtp_sandbox):
    sb = smtp_sandbox(security="tls")
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtplib.SMTP(sb.host, sb.port, local_hostname="client.test", timeout=0.5)


def test_implicit_tls_client_on_starttls_port_fails_handshake(smtp_sandbox):
    sb = smtp_sandbox(security="starttls")
    with pytest.raises(ssl.SSLError, match="WRONG_VERSION_NUMBER|wrong version number"):
        smtplib.SMTP_SSL(sb.host, sb.port, local_hostname="client.test", timeout=3, context=_ctx(sb))


def test_ipv6_loopback(smtp_sandbox):
    sb = smtp_sandbox(security="tls", host="::1", users=USERS)
    assert sb.host == "::1"
    assert sb.server == "ssl://[::1]:%d" % sb.port
    with smtplib.SMTP_SSL("::1", sb.port, local_hostname="client.test", timeout=3, context=_ctx(sb)) as client:
        assert client.login("alice@example.test", "s3cret pass")[0] == 235
    assert sb.wait_sessions_closed(1)[0]["peer"][0] == "::1"
    # bound to ::1 only, not to the IPv4 loopback
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", sb.port), timeout=2).close()


@pytest.mark.parametrize(
    "cert, verify_code",
    [("ca", None), ("self_signed", 18), ("expired", 10), ("wrong_host", 62)],
)
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_certificate_kinds(smtp_sandbox, security, cert, verify_code):
    sb = smtp_sandbox(security=security, cert=cert)

    def connect():
        if security == "tls":
            client = smtplib.SMTP_SSL("localhost", sb.port, local_hostname="client.test", timeout=3, context=_ctx(sb))
        else:
            client = smtplib.SMTP("localhost", sb.port, local_hostname="client.test", timeout=3)
            client.starttls(context=_ctx(sb))
        client.close()

    if verify_code is None:
        connect()
    else:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            connect()
        assert info.value.verify_code == verify_code
    assert sb.wait_for(lambda s: s.connections_accepted == 1)
    if security == "tls" and verify_code is not None:
        assert sb.sessions == []  # the handshake never completed: no SMTP session at all
    else:
        assert len(sb.sessions) == 1


def test_certificate_sans():
    assert set(CERT_KINDS) == {"ca", "self_signed", "expired", "wrong_host"}
    with SmtpSandbox(SandboxConfig(security="tls", cert="wrong_host")) as sb:
        # the wrong_host certificate is valid for its own name, signed by the test CA
        raw = socket.create_connection((sb.host, sb.port), timeout=3)
        with _ctx(sb).wrap_socket(raw, server_hostname=WRONG_HOST_NAME) as tls:
            sans = tls.getpeercert()["subjectAltName"]
        assert sans == (("DNS", WRONG_HOST_NAME),)
    with SmtpSandbox(SandboxConfig(security="tls", hostname="mx.example.test")) as sb:
        raw = socket.create_connection((sb.host, sb.port), timeout=3)
        with _ctx(sb).wrap_socket(raw, server_hostname="mx.example.test") as tls:
            sans = {value for kind, value in tls.getpeercert()["subjectAltName"]}
            banner = tls.recv(100)
        assert {"localhost", "127.0.0.1", "0:0:0:0:0:0:0:1", "mx.example.test"} <= sans
        assert banner.startswith(b"220 mx.example.test ")


def test_ca_path_is_removed_at_stop():
    sb = SmtpSandbox(security="starttls").start()
    path = sb.ca_path
    with open(path, "rb") as handle:
        assert handle.read().startswith(b"-----BEGIN CERTIFICATE-----")
    sb.stop()
    with pytest.raises(FileNotFoundError):
        open(path, "rb").close()


def test_sandbox_ca_fixture_trusts_every_sandbox(smtp_sandbox, sandbox_ca):
    first = smtp_sandbox(security="tls")
    second = smtp_sandbox(security="tls", cert="ca")
    for sb in (first, second):
        ctx = ssl.create_default_context(cafile=sandbox_ca)
        with smtplib.SMTP_SSL("localhost", sb.port, local_hostname="client.test", timeout=3, context=ctx) as client:
            assert client.noop()[0] == 250


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="security"):
        SandboxConfig(security="ssl")
    with pytest.raises(ValueError, match="cert"):
        SandboxConfig(cert="bogus")
    with pytest.raises(ValueError, match="failure"):
        SandboxConfig(failure="explode")
    with pytest.raises(ValueError, match="loopback"):
        SandboxConfig(host="0.0.0.0")
    with pytest.raises(ValueError, match="unknown sandbox option"):
        SandboxConfig.from_dict({"securty": "tls"})
