"""pytest fixtures for the SMTP sandbox (registered by tests/conftest.py).

``smtp_sandbox`` is a factory: ``sb = smtp_sandbox(security="starttls", users={...}, failure=...)`` returns a
started SmtpSandbox (a SandboxConfig may be passed first); every sandbox it made is stopped at teardown.
``sandbox_ca`` (session scope) is the path of a PEM file holding the test CA that signs the sandboxes'
certificates (the same CA for every sandbox in the process).
"""

import pytest

from ._certs import ca_pem
from ._server import SmtpSandbox


@pytest.fixture
def smtp_sandbox():
    started = []

    def factory(config=None, record_dir=None, **overrides):
        sandbox = SmtpSandbox(config, record_dir=record_dir, **overrides)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in reversed(started):
        sandbox.stop()


@pytest.fixture(scope="session")
def sandbox_ca(tmp_path_factory):
    path = tmp_path_factory.mktemp("sandbox-ca") / "ca.pem"
    path.write_bytes(ca_pem())
    return str(path)
