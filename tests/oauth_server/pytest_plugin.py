"""pytest fixture ``oauth_server``: a started loopback authorization server (stopped at teardown).

``oauth_server.smtp_oauth(mailboxes)`` is the SMTP sandbox's ``oauth`` config that trusts this server's tokens
for Microsoft 365's audience (``{sub: [mailbox]}``); ``oauth_server.add_client(client_id, secret=...)`` registers
an application, ``oauth_server.new_certificate(name)`` makes a (certificate PEM, private key PEM) pair.
"""

import pytest


@pytest.fixture
def oauth_server():
    from ._server import AuthorizationServerSandbox   # authlib is imported only by the tests that use it
    server = AuthorizationServerSandbox().start()
    yield server
    server.stop()
