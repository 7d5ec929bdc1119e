"""SandboxConfig: what one sandbox SMTP server looks like and how it misbehaves."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Dict, List, Optional

from ._certs import CERT_KINDS

SECURITY_MODES = ("plain", "starttls", "starttls_required", "tls")

# Every failure mode and where it shows up. The replies are in _replies.py.
FAILURES = (
    "sender_not_owned",  # MAIL FROM: 553 5.7.1 (Postfix reject_sender_login_mismatch)
    "send_as_denied",  # end of DATA: 550 5.7.60 (Exchange / Microsoft 365)
    "relay_denied",  # RCPT: 554 5.7.1 Relay access denied
    "relay_denied_temp",  # RCPT: 454 4.7.1 Relay access denied
    "auth_failed_gmail",  # AUTH: 535-5.7.8 multi-line, BadCredentials
    "auth_failed_o365",  # AUTH: 535 5.7.139 the user credentials were incorrect
    "basic_auth_disabled_o365",  # AUTH: 550 5.7.30 Basic authentication is not supported for Client Submission
    "app_password_required",  # AUTH: 534-5.7.9 multi-line
    "greeting_421",  # greeting: 421 4.3.2, then close
    "rcpt_temp_451",  # RCPT: 451 4.7.1 Greylisted
    "recipient_unknown",  # RCPT: 550 5.1.1
    "data_refused",  # DATA command: 554 5.3.4
    "message_rejected",  # end of DATA: 552 5.3.4 size limit
    "disconnect_after_ehlo",  # answers the first EHLO, then closes
    "no_banner",  # accepts (and completes implicit TLS), never sends a byte
    "drip_banner",  # sends the greeting one byte per drip_interval seconds
    "stall_after_ehlo",  # answers the first EHLO, then never answers anything
    "unverified_sender",  # end of DATA: 554 Message rejected: Email address is not verified (SES)
)

AUTH_FAILURES = ("auth_failed_gmail", "auth_failed_o365", "basic_auth_disabled_o365", "app_password_required")

# Stages at which ``script`` can replace the server's reply (message = the reply to the final ".").
SCRIPT_STAGES = ("greeting", "ehlo", "auth", "mail", "rcpt", "data", "message")


@dataclasses.dataclass
class SandboxConfig:
    """Configuration of one sandbox SMTP server.

    security: "plain" | "starttls" (offered) | "starttls_required" | "tls" (implicit TLS)
    cert: "ca" | "self_signed" | "expired" | "wrong_host"
    users: {login: password}; AUTH PLAIN and LOGIN check this table; empty means no AUTH is offered
        (except for the AUTH failure modes, which always offer AUTH and always refuse it).
    auth_before_tls: with starttls/starttls_required, offer AUTH before STARTTLS too.
    auth_required: MAIL/RCPT/DATA before AUTH -> 530 5.7.0 Authentication required.
    failure: one of FAILURES, or None.
    allowed_senders: {user: [addresses]} a user may send as; users not listed may send only as themselves.
        For ``unverified_sender`` the verified identities are all users and all allowed addresses.
    host: "127.0.0.1" or "::1" (loopback only).
    hostname: greeting name, and an extra certificate SAN.
    port: 0 picks a free port (the default).
    drip_interval: seconds between greeting bytes for ``drip_banner``.
    idle_timeout: the server closes a connection idle this long (seconds).
    tls_handshake_timeout: implicit-TLS handshake limit on the server side (seconds).
    script: {stage: reply} replays a recorded reply at that stage (one of SCRIPT_STAGES) instead of the
        normal one; a reply is a string (lines joined with CRLF or LF) or a list of lines, each with its
        code. A greeting with a 4xx/5xx code is followed by closing the connection; "ehlo" answers EHLO
        and HELO; "auth" answers every AUTH attempt (and makes the server offer AUTH).
    oauth: offer XOAUTH2 and OAUTHBEARER and verify bearer tokens: {"jwks": JWKS dict, "audience": str,
        "issuer": str (optional), "mailboxes": {sub: [mailbox]}, "scope": str (for the error challenge)}.
    """

    security: str = "plain"
    cert: str = "ca"
    users: Dict[str, str] = dataclasses.field(default_factory=dict)
    auth_before_tls: bool = False
    auth_required: bool = False
    failure: Optional[str] = None
    allowed_senders: Optional[Dict[str, List[str]]] = None
    host: str = "127.0.0.1"
    hostname: str = "localhost"
    port: int = 0
    drip_interval: float = 1.0
    idle_timeout: float = 60.0
    tls_handshake_timeout: float = 10.0
    script: Optional[Dict[str, str]] = None
    oauth: Optional[Dict] = None

    def __post_init__(self):
        if self.security not in SECURITY_MODES:
            raise ValueError("security must be one of %s, not %r" % (", ".join(SECURITY_MODES), self.security))
        if self.cert not in CERT_KINDS:
            raise ValueError("cert must be one of %s, not %r" % (", ".join(CERT_KINDS), self.cert))
        if self.failure is not None and self.failure not in FAILURES:
            raise ValueError("failure must be one of %s or None, not %r" % (", ".join(FAILURES), self.failure))
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            raise ValueError("host must be a loopback IP address (127.0.0.1 or ::1), not %r" % (self.host,)) from None
        if not address.is_loopback:
            raise ValueError("host must be a loopback address, not %r" % (self.host,))
        if not isinstance(self.users, dict):
            raise ValueError("users must be a mapping of login to password")
        self.users = {str(k): str(v) for k, v in self.users.items()}
        if self.allowed_senders is not None:
            self.allowed_senders = {str(k): [str(a) for a in v] for k, v in self.allowed_senders.items()}
        if self.script is not None:
            if not isinstance(self.script, dict):
                raise ValueError("script must be a mapping of stage to reply")
            unknown = sorted(set(self.script) - set(SCRIPT_STAGES))
            if unknown:
                raise ValueError("script: unknown stage(s) %s; stages are %s" % (", ".join(unknown),
                                                                                 ", ".join(SCRIPT_STAGES)))
            self.script = {stage: _script_reply(stage, reply) for stage, reply in self.script.items()}
        if not 0 <= int(self.port) <= 65535:
            raise ValueError("port must be 0..65535")

    @classmethod
    def from_dict(cls, data):
        """Build from a mapping (CLI scenario files); unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError("unknown sandbox option(s): %s" % ", ".join(unknown))
        return cls(**data)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def tls_wanted(self):
        return self.security != "plain"

    @property
    def auth_offered(self):
        return (bool(self.users) or bool(self.oauth) or self.failure in AUTH_FAILURES
                or "auth" in (self.script or {}))

    def scripted(self, stage):
        """The scripted reply for ``stage`` (CRLF-joined lines), or None."""
        return (self.script or {}).get(stage)

    @property
    def scheme(self):
        """URL scheme in the collection's server syntax: smtp (none), tls (STARTTLS), ssl (implicit TLS)."""
        return {"plain": "smtp", "starttls": "tls", "starttls_required": "tls", "tls": "ssl"}[self.security]

    def may_send_as(self, user, address):
        if user is None or address is None:
            return False
        allowed = [user]
        if self.allowed_senders is not None and user in self.allowed_senders:
            allowed = self.allowed_senders[user]
        return address.lower() in {a.lower() for a in allowed}

    def owner_of(self, address):
        """A user that may send as ``address``, or None."""
        for user in self.users:
            if self.may_send_as(user, address):
                return user
        return None

    def verified_identities(self):
        identities = {u.lower() for u in self.users}
        for addresses in (self.allowed_senders or {}).values():
            identities.update(a.lower() for a in addresses)
        return identities


def _script_reply(stage, reply):
    """A scripted reply as CRLF-joined lines, each checked to be an SMTP reply line."""
    lines = reply.splitlines() if isinstance(reply, str) else [str(line) for line in reply or ()]
    if not lines:
        raise ValueError("script: the %s reply is empty" % stage)
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if len(line) < 3 or not line[:3].isdigit() or line[:3] != lines[0][:3] or (
                len(line) > 3 and line[3] != (" " if last else "-")):
            raise ValueError("script: the %s reply line %r is not an SMTP reply line (code %s, \"-\" on all "
                             "but the last line)" % (stage, line, lines[0][:3]))
    return "\r\n".join(lines)
