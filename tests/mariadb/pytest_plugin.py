"""pytest fixtures for a throwaway MariaDB server with coreBOS's tables.

Load with ``pytest_plugins = ["mariadb.pytest_plugin"]`` (tests/ is on sys.path through tests/conftest.py).

* ``mariadb_server`` (session): one server for the whole run, started on first use (about a second) and
  stopped at session end.
* ``corebos_db`` (function): a fresh database per test with ``vtiger_systems`` (as coreBOS's
  DatabaseSchema.xml defines it) and ``vtiger_systems_seq`` holding 0; dropped after the test.
* ``corebos_db_without_seq`` (function): the same without ``vtiger_systems_seq`` (ADOdb creates it).
"""

import pytest

from mariadb.server import MariaDBServer


@pytest.fixture(scope='session')
def mariadb_server():
    server = MariaDBServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def corebos_db(mariadb_server):
    database = mariadb_server.create_corebos_database(seq=0)
    yield database
    mariadb_server.drop_database(database.name)


@pytest.fixture
def corebos_db_without_seq(mariadb_server):
    database = mariadb_server.create_corebos_database(seq=None)
    yield database
    mariadb_server.drop_database(database.name)
