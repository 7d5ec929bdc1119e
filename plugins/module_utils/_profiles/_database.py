# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Apps that keep their SMTP settings in a database row: ``DatabaseProfile`` and the MySQL/MariaDB store base.

``DatabaseProfile`` is the order of work of a database app (coreBOS's ``vtiger_systems`` here; the next one, say
Odoo's ``ir_mail_server`` in PostgreSQL, plugs in the same way): the driver is imported only when the profile
first connects (the module then fails with ``missing_required_lib`` naming it), the connection parameters come
from the app's own configuration file and the ``login_*`` options, the database password is hidden in every
output, and ``commit()`` writes ``plan.payload`` (a row) or deletes it (None) in one transaction and closes the
connection. A subclass gives ``driver`` (the PyPI name), ``import_driver()``, ``connection_params()``,
``connect()`` and ``open_store()``; its store does ``read()``, ``write(row)``, ``delete()`` and ``close()``.

``MysqlStore``: what every MySQL/MariaDB store shares (the PyMySQL error class, a close and a rollback that never
hide the real error, table lookup, error messages that never quote the password); ``connect_mysql()`` opens the
PyMySQL connection (autocommit off).
"""

from __future__ import annotations

import contextlib
import traceback

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import AppProfile
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import scrub

DEFAULT_MYSQL_PORT = 3306


class DatabaseProfile(AppProfile):
    """A profile whose settings are a database row (see the module docstring)."""

    driver = ''  # the Python library the profile needs on the target (named by missing_required_lib)
    driver_why = ''  # why, in the words of the module's failure message

    def __init__(self, module, params):
        super().__init__(module, params)
        self.store = None
        self.conn_params = None

    # -- to implement
    def import_driver(self):
        """``(driver module, None)`` or ``(None, traceback text)``."""
        raise NotImplementedError

    def connection_params(self):
        """``(connection parameters, warnings)``; raises SettingsError naming the option that is missing."""
        raise NotImplementedError

    def connect(self, conn_params, driver):
        raise NotImplementedError

    def open_store(self, connection, driver):
        raise NotImplementedError

    # -- the order of work
    def _open(self):
        if self.store is not None:
            return self.store
        driver, import_tb = self.import_driver()
        if driver is None:
            from ansible.module_utils.basic import missing_required_lib
            self.module.fail_json(msg=missing_required_lib(self.driver) + self.driver_why, exception=import_tb)
        try:
            self.conn_params, warnings = self.connection_params()
        except SettingsError as exc:
            self.module.fail_json(msg='%s; nothing was changed' % exc, option=exc.option, changed=False)
        if self.conn_params.get('password'):
            self.module.no_log_values.add(self.conn_params['password'])
        for warning in warnings:
            self.module.warn(warning)
        self.store = self.open_store(self.connect(self.conn_params, driver), driver)
        return self.store

    def commit(self, plan):
        store = self._open()
        try:
            if plan.payload is None:
                store.delete()
            else:
                store.write(plan.payload)
        finally:
            store.close()
            self.store = None
        return {}


# --------------------------------------------------------------------------------------------------
# MySQL / MariaDB through PyMySQL
# --------------------------------------------------------------------------------------------------

def import_pymysql():
    """Return ``(pymysql, None)`` or ``(None, traceback)``: the module then calls missing_required_lib."""
    try:
        import pymysql
    except ImportError:
        return None, traceback.format_exc()
    return pymysql, None


def db_message(exc, secret=None):
    """The server's message of a PyMySQL error, ``secret`` (a password) scrubbed from it."""
    text = str(exc.args[1]) if len(getattr(exc, 'args', ())) > 1 else str(exc)
    return scrub(text, [secret])


def connect_mysql(conn_params, pymysql, app, charset):
    """Open a PyMySQL connection (autocommit off). Raises StoreError naming ``app``, never quoting the password."""
    if pymysql is None:
        pymysql, _tb = import_pymysql()
        if pymysql is None:
            raise StoreError('%s: the PyMySQL library is not installed on the target' % app)
    kwargs = dict(user=conn_params['user'], password=conn_params.get('password') or '',
                  database=conn_params['database'], charset=charset, autocommit=False,
                  connect_timeout=max(1, int(round(conn_params.get('connect_timeout') or 10))))
    if conn_params.get('unix_socket'):
        kwargs['unix_socket'] = conn_params['unix_socket']
        where = conn_params['unix_socket']
    else:
        kwargs['host'] = conn_params['host']
        kwargs['port'] = int(conn_params.get('port') or DEFAULT_MYSQL_PORT)
        where = '%s:%s' % (kwargs['host'], kwargs['port'])
    try:
        return pymysql.connect(**kwargs)
    except pymysql.MySQLError as exc:
        raise StoreError('%s: cannot connect to the database %s on %s as %s: %s'
                         % (app, conn_params['database'], where, conn_params['user'],
                            db_message(exc, conn_params.get('password')))) from None


class MysqlStore:
    """The shared part of a store behind one PyMySQL connection (a subclass reads and writes its rows)."""

    app = ''  # named in error messages

    def __init__(self, connection, pymysql=None):
        self.connection = connection
        self.pymysql = pymysql
        self.warnings = []

    def _error(self, action, exc):
        return StoreError('%s: %s failed: %s' % (self.app, action, db_message(exc)))

    def _errors(self):
        if self.pymysql is not None:
            return self.pymysql.MySQLError
        import pymysql
        return pymysql.MySQLError

    def close(self):
        # Closing a broken connection must not hide the real error.
        with contextlib.suppress(Exception):
            self.connection.close()

    def _table_exists(self, cursor, name):
        cursor.execute('SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() '
                       'AND TABLE_NAME = %s', (name,))
        return cursor.fetchone()[0] > 0

    def _rollback(self):
        # The original error is the one to report.
        with contextlib.suppress(Exception):
            self.connection.rollback()
