"""SMTP sandbox: real SMTP servers on loopback for tests, integration playbooks and the demo.

    from smtp_sandbox import SandboxConfig, SmtpSandbox
    with SmtpSandbox(SandboxConfig(security="starttls", users={"alice@example.test": "pw"})) as sb:
        sb.host, sb.port, sb.ca_path, sb.server, sb.messages, sb.sessions

See README.md in this directory.
"""

from ._certs import CERT_KINDS, WRONG_HOST_NAME
from ._config import AUTH_FAILURES, FAILURES, SECURITY_MODES, SandboxConfig
from ._server import SmtpSandbox

__all__ = [
    "AUTH_FAILURES",
    "CERT_KINDS",
    "FAILURES",
    "SECURITY_MODES",
    "WRONG_HOST_NAME",
    "SandboxConfig",
    "SmtpSandbox",
]
