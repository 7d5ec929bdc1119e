"""pytest fixtures for private mail servers (load with ``pytest_plugins = ['mta.pytest_plugin']``).

* ``submission_server`` (function): factory ``submission_server(users={login: password}, sender_logins=None,
  tls=True)`` returning a started ``mta.submission.SubmissionServer`` (Postfix smtpd + Dovecot SASL with
  ``reject_sender_login_mismatch``), stopped at teardown. Skips nothing: a missing Postfix/Dovecot or no root
  is an error that names scripts/system-deps.sh.
"""

import pytest

from mta.submission import SubmissionServer


@pytest.fixture
def submission_server():
    started = []

    def start(users, sender_logins=None, tls=True):
        server = SubmissionServer(users, sender_logins=sender_logins, tls=tls)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
