"""Start and stop a throwaway MariaDB server: own datadir, loopback TCP port and socket, no grant surprises.

``MariaDBServer().start()`` runs ``mariadb-install-db`` into a temporary datadir and starts ``mariadbd``
on 127.0.0.1:<free port> plus a socket inside the datadir, as root (``--user=root``) or as the current
user. It takes about a second. ``stop()`` ends the server (by its own pid) and removes the directory.

``create_corebos_database()`` makes a fresh database with coreBOS's ``vtiger_systems`` (from
schema.VTIGER_SYSTEMS_DDL) and, optionally, ``vtiger_systems_seq``, reachable by a dedicated user with
a password.
"""

import atexit
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pymysql

from mariadb.schema import CRMENTITY_DDL, GLOBALVARIABLE_DDL, SEQ_DDL, VTIGER_SYSTEMS_DDL, VTIGER_USERS_DDL

# A database password with characters that PHP single-quoted strings must escape.
APP_USER = 'corebos'
APP_PASSWORD = "Db'pa\\ss\"w0rd$x"
# coreBOS's installer refuses a STRICT sql_mode; a non-strict server truncates overlong values silently.
COREBOS_SQL_MODE = 'NO_ENGINE_SUBSTITUTION'


def _find_binary(*names):
    dirs = os.environ.get('PATH', '').split(os.pathsep) + ['/usr/sbin', '/usr/libexec', '/usr/local/sbin',
                                                           '/usr/local/bin', '/usr/bin']
    for name in names:
        for directory in dirs:
            candidate = os.path.join(directory, name)
            if os.access(candidate, os.X_OK):
                return candidate
    raise RuntimeError('MariaDB is not installed (none of %s found); run scripts/system-deps.sh' % (names,))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class MariaDBServer:
    """One throwaway server. Attributes: host, port, socket, root_user, app_user, app_password."""

    def __init__(self, base_dir=None):
        self.base_dir = base_dir
        self.process = None
        self.directory = None
        self.host = '127.0.0.1'
        self.port = None
        self.socket = None
        self.root_user = 'root'
        self.app_user = APP_USER
        self.app_password = APP_PASSWORD
        self._names = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, timeout=30.0):
        self.directory = tempfile.mkdtemp(prefix='mailops-mariadb-', dir=self.base_dir)
        atexit.register(self.stop)  # also when the session dies before the fixture's teardown
        datadir = os.path.join(self.directory, 'data')
        self.socket = os.path.join(self.directory, 'mysqld.sock')
        log = os.path.join(self.directory, 'error.log')
        as_root = hasattr(os, 'geteuid') and os.geteuid() == 0
        user_args = ['--user=root'] if as_root else []
        install = [_find_binary('mariadb-install-db', 'mysql_install_db'), '--no-defaults',
                   '--datadir=' + datadir, '--auth-root-authentication-method=normal', '--skip-test-db',
                   '--skip-name-resolve'] + user_args
        result = subprocess.run(install, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError('mariadb-install-db failed:\n%s' % result.stdout.decode('utf-8', 'replace')[-3000:])
        last_error = None
        for _attempt in range(3):  # the free port may be taken between probing and binding
            self.port = _free_port()
            command = [_find_binary('mariadbd', 'mysqld'), '--no-defaults', '--datadir=' + datadir,
                       '--socket=' + self.socket, '--port=%d' % self.port, '--bind-address=127.0.0.1',
                       '--skip-networking=0', '--pid-file=' + os.path.join(self.directory, 'mysqld.pid'),
                       '--log-error=' + log, '--skip-name-resolve', '--skip-log-bin',
                       '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=8M',
                       '--innodb-flush-log-at-trx-commit=2', '--innodb-doublewrite=0',
                       '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
                       '--sql-mode=' + COREBOS_SQL_MODE, '--max-connections=200'] + user_args
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
            try:
                self._wait_ready(timeout, log)
                break
            except RuntimeError as exc:
                last_error = exc
                self._terminate()
        else:
            self.stop()
            raise last_error
        self._bootstrap()
        return self

    def _wait_ready(self, timeout, log):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('mariadbd exited with %s:\n%s' % (self.process.returncode, self._log_tail(log)))
            try:
                pymysql.connect(host=self.host, port=self.port, user=self.root_user, password='',
                                connect_timeout=2).close()
                return
            except pymysql.MySQLError:
                time.sleep(0.05)
        raise RuntimeError('mariadbd did not accept connections within %.0f s:\n%s' % (timeout, self._log_tail(log)))

    @staticmethod
    def _log_tail(log):
        try:
            with open(log, encoding='utf-8', errors='replace') as handle:
                return handle.read()[-3000:]
        except OSError:
            return '(no log)'

    def _bootstrap(self):
        with self.root() as conn, conn.cursor() as cur:
            for host in ('127.0.0.1', 'localhost', '::1'):
                cur.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s',
                            (self.app_user, host, self.app_password))

    def _terminate(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self):
        self._terminate()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    # -- access ------------------------------------------------------------------------------------
    def root(self, database=None):
        return pymysql.connect(host=self.host, port=self.port, user=self.root_user, password='', database=database,
                               charset='utf8mb4', autocommit=True)

    def create_corebos_database(self, seq=0):
        """A fresh database holding vtiger_systems (empty) and, unless ``seq`` is None, vtiger_systems_seq
        with one row ``id = seq``. The app user gets the privileges coreBOS's DB user has on it."""
        name = 'corebos_%d_%d' % (os.getpid(), next(self._names))
        with self.root() as conn, conn.cursor() as cur:
            cur.execute('CREATE DATABASE `%s` DEFAULT CHARACTER SET utf8 COLLATE utf8_general_ci' % name)
            cur.execute('USE `%s`' % name)
            cur.execute(VTIGER_SYSTEMS_DDL)
            if seq is not None:
                cur.execute(SEQ_DDL)
                cur.execute('INSERT INTO vtiger_systems_seq VALUES (%s)', (seq,))
            for host in ('127.0.0.1', 'localhost', '::1'):
                cur.execute('GRANT ALL PRIVILEGES ON `%s`.* TO %%s@%%s' % name, (self.app_user, host))
        return CoreBOSDatabase(self, name)

    def drop_database(self, name):
        with self.root() as conn, conn.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS `%s`' % name)


class CoreBOSDatabase:
    """One per-test coreBOS database: connection facts for the module and helpers to inspect rows."""

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.host = server.host
        self.port = server.port
        self.socket = server.socket
        self.user = server.app_user
        self.password = server.app_password

    def connect(self):
        return self.server.root(database=self.name)

    def execute(self, sql, args=None):
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def rows(self, where='1=1', args=None):
        """All vtiger_systems rows (ordered by id) as dicts; ``where`` filters."""
        with self.connect() as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute('SELECT * FROM vtiger_systems WHERE %s ORDER BY id' % where, args)
            return list(cur.fetchall())

    def email_rows(self):
        return self.rows("server_type = 'email'")

    def seq(self):
        """The vtiger_systems_seq value (None when the table or its row is missing)."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME = 'vtiger_systems_seq'")
            if not cur.fetchone()[0]:
                return None
            cur.execute('SELECT id FROM vtiger_systems_seq')
            row = cur.fetchone()
            return row[0] if row else None

    def add_users(self, *users):
        """Create coreBOS's vtiger_users (first call) and add ``users``: dicts of its columns (user_name, email1,
        status 'Active'/'Inactive', deleted 0/1, ...), as coreBOS's Users module stores them."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME = 'vtiger_users'")
            if not cur.fetchone()[0]:
                cur.execute(VTIGER_USERS_DDL)
            for user in users:
                names = sorted(user)
                cur.execute('INSERT INTO vtiger_users (%s) VALUES (%s)' % (
                    ', '.join('`%s`' % name for name in names), ', '.join(['%s'] * len(names))),
                    [user[name] for name in names])
            conn.commit()

    def add_global_variable(self, name, value, default=True, mandatory=False, owner=1, module_list='',
                            in_module_list=True, deleted=False, description=None):
        """A Global Variables record as coreBOS's GlobalVariable module saves one (tables created on first use)."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME = 'vtiger_globalvariable'")
            if not cur.fetchone()[0]:
                cur.execute(CRMENTITY_DDL)
                cur.execute(GLOBALVARIABLE_DDL)
            cur.execute('SELECT COALESCE(MAX(crmid), 0) + 1 FROM vtiger_crmentity')
            crmid = cur.fetchone()[0]
            cur.execute('INSERT INTO vtiger_crmentity (crmid, smownerid, setype, description, deleted) '
                        'VALUES (%s, %s, %s, %s, %s)', (crmid, owner, 'GlobalVariable', description, int(deleted)))
            cur.execute('INSERT INTO vtiger_globalvariable (globalvariableid, globalno, gvname, default_check, value, '
                        'mandatory, blocked, module_list, in_module_list) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)',
                        (crmid, 'glb-%07d' % crmid, name, '1' if default else '0', value, '1' if mandatory else '0',
                         '0', module_list, '1' if in_module_list else '0'))
            conn.commit()

    def insert(self, **columns):
        """INSERT a row as the coreBOS UI would (positional column order of Save.php)."""
        names = ('id', 'server', 'server_port', 'server_username', 'server_password', 'server_type', 'smtp_auth',
                 'server_path', 'from_email_field')
        values = [columns.get(name) for name in names]
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute('INSERT INTO vtiger_systems VALUES (%s)' % ', '.join(['%s'] * len(names)), values)

    def add_backup_rows(self):
        """The ftp_backup and local_backup rows coreBOS keeps in the same table; returns them."""
        self.insert(id=1, server='ftp.example.net', server_port=0, server_username='ftpuser',
                    server_password='ftp&amp;secret', server_type='ftp_backup', smtp_auth='', server_path='',
                    from_email_field='')
        self.insert(id=2, server='', server_port=0, server_username='', server_password='',
                    server_type='local_backup', smtp_auth='', server_path='/var/backups/corebos',
                    from_email_field='')
        self.execute('UPDATE vtiger_systems_seq SET id = 2')
        return self.rows("server_type <> 'email'")

    def write_config_inc(self, root, env_overrides=False, host=None, port=None):
        """A coreBOS root whose config.inc.php carries this database's credentials, as the installer writes
        them (single-quoted PHP strings, ``db_port`` like ':3306'). Returns the root path."""
        os.makedirs(root, exist_ok=True)

        def php(value):
            return "'%s'" % value.replace('\\', '\\\\').replace("'", "\\'")

        lines = [
            '<?php',
            '/*********************************************************************************',
            ' * The contents of this file are subject to the vtiger CRM Public License Version 1.0',
            ' ********************************************************************************/',
            '',
            "// $dbconfig['db_server'] = 'commented-out.example.com';",
            '# $dbconfig[\'db_name\'] = \'not_this_one\';',
            '/* $dbconfig[\'db_username\'] = \'nobody\'; */',
            '',
            "$dbconfig['db_server'] = %s;" % php(host or self.host),
            "$dbconfig['db_port'] = %s;" % php(':%d' % (port or self.port)),
            "$dbconfig['db_username'] = %s;" % php(self.user),
            "$dbconfig['db_password'] = %s;" % php(self.password),
            "$dbconfig['db_name'] = %s;" % php(self.name),
            "$dbconfig['db_type'] = 'mysqli';",
            "$dbconfig['db_status'] = 'true';",
            "$dbconfig['db_hostname'] = $dbconfig['db_server'].$dbconfig['db_port'];",
            '$host_name = $dbconfig[\'db_hostname\'];',
            "$site_URL = 'http://localhost/corebos';",
            "$root_directory = '%s/';" % root,
        ]
        if env_overrides:
            lines += [
                "$dbconfig['db_username'] = getenv('COREBOS_DBUSER') ? getenv('COREBOS_DBUSER') : %s;"
                % php(self.user),
                "$dbconfig['db_password'] = getenv('COREBOS_DBPASS') ? getenv('COREBOS_DBPASS') : %s;"
                % php(self.password),
            ]
        lines += ['?>', '']
        with open(os.path.join(root, 'config.inc.php'), 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(lines))
        return root
