"""A real OAuth 2.0 authorization server on loopback for the tests, built on authlib (see _server.py).

Import ``oauth_server._server`` (or use the ``oauth_server`` fixture): this package itself imports nothing, so
the conftest can register the fixture without loading authlib for every test.
"""
