"""Test certificates for the SMTP sandbox.

One test CA per process (trustme), so every sandbox started by a test session is trusted through the same
``ca.pem``. Server certificates come in four kinds that a TLS client must tell apart:

``ca``           signed by the test CA, SANs localhost, 127.0.0.1, ::1 (and the configured host name)
``self_signed``  a self-signed leaf with the same SANs (OpenSSL verify code 18)
``expired``      signed by the test CA, expired yesterday (verify code 10)
``wrong_host``   signed by the test CA for ``mail.other.test`` only (hostname mismatch, verify code 62)
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import threading

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_KINDS = ("ca", "self_signed", "expired", "wrong_host")
WRONG_HOST_NAME = "mail.other.test"
DEFAULT_IDENTITIES = ("localhost", "127.0.0.1", "::1")

_lock = threading.Lock()
_ca = None
_leaf_cache = {}


def get_test_ca():
    """The process-wide test CA (created on first use)."""
    global _ca
    with _lock:
        if _ca is None:
            _ca = trustme.CA(organization_name="mailops.smtp sandbox")
        return _ca


def ca_pem():
    """PEM bytes of the test CA certificate."""
    return get_test_ca().cert_pem.bytes()


def _identities(hostname):
    names = list(DEFAULT_IDENTITIES)
    if hostname and hostname not in names:
        names.append(hostname)
    return names


def _self_signed(identities):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identities[0])])
    sans = []
    for ident in identities:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(ident)))
        except ValueError:
            sans.append(x509.DNSName(ident))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def server_key_and_chain(kind, hostname="localhost"):
    """Return (key_pem, chain_pem) bytes for a server certificate of ``kind``."""
    if kind not in CERT_KINDS:
        raise ValueError("cert must be one of %s, not %r" % (", ".join(CERT_KINDS), kind))
    cache_key = (kind, hostname)
    with _lock:
        cached = _leaf_cache.get(cache_key)
    if cached:
        return cached
    ca = get_test_ca()
    now = datetime.datetime.now(datetime.timezone.utc)
    if kind == "self_signed":
        result = _self_signed(_identities(hostname))
    else:
        if kind == "wrong_host":
            leaf = ca.issue_cert(WRONG_HOST_NAME)
        elif kind == "expired":
            leaf = ca.issue_cert(
                *_identities(hostname),
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            )
        else:
            leaf = ca.issue_cert(*_identities(hostname))
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        result = (leaf.private_key_pem.bytes(), chain)
    with _lock:
        _leaf_cache[cache_key] = result
    return result


def write_cert_files(directory, kind, hostname="localhost"):
    """Write ca.pem, server-key.pem, server-chain.pem and ca-bundle.pem (system CAs + test CA) into
    ``directory``; return their paths (keys ca, key, chain, bundle)."""
    key_pem, chain_pem = server_key_and_chain(kind, hostname)
    paths = {
        "ca": os.path.join(directory, "ca.pem"),
        "key": os.path.join(directory, "server-key.pem"),
        "chain": os.path.join(directory, "server-chain.pem"),
    }
    paths["bundle"] = os.path.join(directory, "ca-bundle.pem")
    for which, data in (("ca", ca_pem()), ("key", key_pem), ("chain", chain_pem), ("bundle", ca_bundle_pem())):
        fd = os.open(paths[which], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return paths


def ca_bundle_pem():
    """The host's CA bundle followed by the test CA: what SSL_CERT_FILE names for an app without a CA setting
    (Go's crypto/x509 reads it in place of the system bundle, so the system CAs must stay in it)."""
    system = ssl.get_default_verify_paths().openssl_cafile
    data = b""
    if system and os.path.isfile(system):
        with open(system, "rb") as handle:
            data = handle.read()
        if data and not data.endswith(b"\n"):
            data += b"\n"
    return data + ca_pem()


def server_context(chain_path, key_path):
    """A server-side SSL context that does not ask for client certificates."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain_path, key_path)
    return ctx
