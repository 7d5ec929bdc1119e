# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""coreBOS: the outgoing server in MySQL/MariaDB table ``vtiger_systems``, row ``server_type='email'``.

What coreBOS does, and what this file mirrors (see docs/corebos.md):

* ``modules/Settings/Save.php`` looks the email row up by ``server_type``; it UPDATEs it by ``id`` when it
  exists, else INSERTs a row whose ``id`` comes from ADOdb ``GenID('vtiger_systems_seq')``
  (``update vtiger_systems_seq set id=LAST_INSERT_ID(id+1)``; the table is created holding 0 when missing).
  It writes ``server_port = 0``: the port is never read from that column.
* ``modules/Emails/mail.php`` (``setMailServerProperties``) reads the first email row: ``server`` goes to
  PHPMailer's ``Host`` unchanged (``[tls://|ssl://]host[:port]``, several separated by ``;``; no port or
  port 0 means 25); ``smtp_auth`` other than ``'false'``
  (even ''/NULL) turns AUTH on, and ``tls``/``ssl``/``tlsnc``/``sslnc`` also set ``SMTPSecure`` (``nc``: no
  certificate check). A ``tls://``/``ssl://`` prefix on a host overrides ``SMTPSecure`` for that host.
* Every column comes through ``query_result()``, whose ``to_html()`` HTML-encodes it on most pages (cron,
  workflows) but not on others (``<Module>Ajax``, Export...); mail.php then ``html_entity_decode``s the
  password only. A value is stored as plain text, and refused when the two kinds of page would read it
  differently (``column_reads``); a hand-edited value that they read differently is ``Computed``: drift.
  coreBOS talks to MySQL with ``SET NAMES utf8``, so characters beyond U+FFFF are refused too.
* The database credentials come from the coreBOS root's ``config.inc.php`` (``$dbconfig[...]``), read here
  as text and never executed.

* With "Email From" (``from_email_field``) empty, coreBOS sends each user's mail from the user's own
  address (``vtiger_users.email1``). A server that lets the account send only as itself refuses those
  mails although the test mail on save (sent to and from the admin) passes. ``user_addresses()`` reads up to
  three active users' addresses, the default ``test_senders`` when no ``from_email`` is set.

Other ``server_type`` rows (``ftp_backup``, ``local_backup``) share the table and the sequence; nothing
here reads or writes them.

The ``login_*`` options are declared (and documented) in ``CorebosProfile.options``; they reach
``_outgoing.STORE_ARGS`` and the ``mailops.smtp.app_store`` doc fragment through the app registry.
``CorebosProfile`` implements the ``_profiles._base.AppProfile`` interface; its ``Snapshot.exists`` means "the
vtiger_systems table is there" (the store, like a file), and ``Snapshot.stored`` is None when the table has
no email row (a fresh install), so the first run inserts the row without ``create``.
"""

from __future__ import annotations

import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import KEEP_STORED, Plan, Snapshot
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._database import (
    DEFAULT_MYSQL_PORT,
    DatabaseProfile,
    MysqlStore,
    connect_mysql,
    import_pymysql,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._files import read_bytes
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK
from ansible_collections.mailops.smtp.plugins.module_utils.stores.php import EXPRESSION, tokenize
from ansible_collections.mailops.smtp.plugins.module_utils._settings import MODEL_KEYS, PASSWORD_CHANGED, is_address

APP = 'corebos'
TABLE = 'vtiger_systems'
SEQ_TABLE = 'vtiger_systems_seq'
EMAIL_TYPE = 'email'
CONFIG_FILE = 'config.inc.php'
DEFAULT_DB_PORT = DEFAULT_MYSQL_PORT
PHPMAILER_DEFAULT_PORT = 25
COLUMNS = ('id', 'server', 'server_port', 'server_username', 'server_password', 'server_type', 'smtp_auth',
           'server_path', 'from_email_field')
# Column -> the option that fills it (used in length errors; values are never quoted).
COLUMN_OPTIONS = (
    ('server', 'server'),
    ('server_username', 'username'),
    ('server_password', 'password'),
    ('from_email_field', 'from_email'),
)
SMTP_AUTH_VALUES = ('false', 'true', 'tls', 'ssl', 'tlsnc', 'sslnc')


# PHPMailer 5.2 (bundled with coreBOS) accepts one host entry when it matches this; others are skipped.
_PHPMAILER_HOST_RE = re.compile(r'^((ssl|tls)://)*([a-zA-Z0-9.-]*):?([0-9]*)$')
_PREFIX_SECURITY = {'tls': 'starttls', 'ssl': 'tls'}
_SECURITY_PREFIX = {'starttls': 'tls://', 'tls': 'ssl://', 'none': ''}


# --------------------------------------------------------------------------------------------------
# config.inc.php (read as PHP tokens, never executed)
# --------------------------------------------------------------------------------------------------

class _Token:
    __slots__ = ('kind', 'value', 'start')

    def __init__(self, kind, value, start):
        self.kind = kind  # 'str', 'num', 'var', 'name', 'op', 'dyn' (string with interpolation)
        self.value = value
        self.start = start

    def __repr__(self):
        return '_Token(%r, %r)' % (self.kind, self.value)


_TWO_CHAR_OPS = ('?:', '??', '==', '!=', '.=')


def php_tokens(text):
    """The PHP tokens of ``text`` (the PHP store's lexer, ``stores/php.py``) that matter to ``$dbconfig[...]``.

    Whitespace and comments are dropped; ``?:``, ``??``, ``==``, ``!=`` and ``.=`` are joined into one operator.
    Raises ValueError (the file cannot be read as PHP) with the lexer's message.
    """
    try:
        raw = tokenize(text)
    except StoreError as exc:
        raise ValueError(str(exc)) from None
    tokens = []
    for tok in raw:
        if tok.kind in ('ws', 'comment'):
            continue
        if tok.kind == 'str':
            tokens.append(_Token('dyn' if tok.value is EXPRESSION else 'str', tok.value, tok.start))
        elif tok.kind == 'num':
            tokens.append(_Token('num', tok.text, tok.start))
        elif tok.kind == 'var':
            tokens.append(_Token('var', tok.text[1:], tok.start))
        elif tok.kind == 'ident':
            tokens.append(_Token('name', tok.text, tok.start))
        else:
            last = tokens[-1] if tokens else None
            if (last is not None and last.kind == 'op' and len(last.value) == 1 and last.start + 1 == tok.start
                    and last.value + tok.text in _TWO_CHAR_OPS):
                last.value += tok.text
                continue
            tokens.append(_Token('op', tok.text, tok.start))
    return tokens


def _statement_end(tokens, start):
    depth = 0
    j = start
    while j < len(tokens):
        tok = tokens[j]
        if tok.kind == 'op' and tok.value in '([{':
            depth += 1
        elif tok.kind == 'op' and tok.value in ')]}':
            depth -= 1
        elif tok.kind == 'op' and tok.value == ';' and depth <= 0:
            return j
        j += 1
    return j


def parse_dbconfig(text):
    """Read ``$dbconfig['key'] = 'value';`` assignments from PHP source without executing it.

    Returns ``(values, env_vars)``: ``values`` maps each key to its last literal string value (integers
    are returned as their text); ``env_vars`` lists the ``getenv('COREBOS_DB...')`` names the file uses
    (their values at run time are invisible to us). An assignment whose value is ``getenv(...) ?
    getenv(...) : 'literal'`` (or ``?:``) yields the literal fallback.
    """
    tokens = php_tokens(text)
    values = {}
    env_vars = []
    for index, tok in enumerate(tokens):
        if tok.kind == 'name' and tok.value.lower().lstrip('\\') == 'getenv':
            if index + 2 < len(tokens) and tokens[index + 1].value == '(' and tokens[index + 2].kind == 'str':
                name = tokens[index + 2].value
                if name.upper().startswith('COREBOS_') and name not in env_vars:
                    env_vars.append(name)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (tok.kind == 'var' and tok.value == 'dbconfig' and i + 4 < len(tokens)
                and tokens[i + 1].value == '[' and tokens[i + 2].kind == 'str'
                and tokens[i + 3].value == ']' and tokens[i + 4].kind == 'op' and tokens[i + 4].value == '='):
            key = tokens[i + 2].value
            end = _statement_end(tokens, i + 5)
            expr = tokens[i + 5:end]
            literal = _literal_value(expr)
            if literal is not None:
                values[key] = literal
            i = end + 1
            continue
        i += 1
    return values, env_vars


def _literal_value(expr):
    if len(expr) == 1 and expr[0].kind in ('str', 'num'):
        return expr[0].value
    if len(expr) == 2 and expr[0].kind == 'op' and expr[0].value == '-' and expr[1].kind == 'num':
        return '-' + expr[1].value
    uses_getenv = any(tok.kind == 'name' and tok.value.lower().lstrip('\\') == 'getenv' for tok in expr)
    if uses_getenv and len(expr) >= 2 and expr[-1].kind in ('str', 'num'):
        before = expr[-2]
        if before.kind == 'op' and before.value in (':', '?:', '??'):
            return expr[-1].value
    return None


def split_db_server(server, port_text):
    """``db_server`` + ``db_port`` (``':3306'``, ``'3306'`` or '') as mysqli reads them -> (host, port, socket)."""
    host = (server or '').strip()
    socket = None
    port = None
    if host.startswith('p:'):  # mysqli persistent-connection prefix
        host = host[2:]
    if ':' in host and not host.startswith('['):
        host, extra = host.split(':', 1)
        if extra.startswith('/'):
            socket = extra
        elif extra.isdigit():
            port = int(extra)
    text = (port_text or '').strip()
    if text.startswith(':'):
        text = text[1:]
    if text.startswith('/'):
        socket = text
    elif text:
        if not text.isdigit() or not 0 < int(text) < 65536:
            raise StoreError('%s: db_port %r is not a port number' % (CONFIG_FILE, port_text))
        port = int(text)
    return host or 'localhost', port or DEFAULT_DB_PORT, socket


def read_config_inc(path):
    """Database credentials from ``<path>/config.inc.php`` (``path`` may also name the file).

    Returns ``(params, warnings)`` with ``params`` keys ``host, port, user, password, database, unix_socket``.
    Raises StoreError when the file is missing, unreadable or lacks a needed key.
    """
    filename = path
    if os.path.isdir(path):
        filename = os.path.join(path, CONFIG_FILE)
    try:
        raw = read_bytes(filename)   # a FIFO or device named config.inc.php is refused, never blocks
    except StoreError as exc:
        raise StoreError('coreBOS: %s' % exc) from None
    if raw is None:
        raise StoreError('coreBOS: cannot read %s (No such file or directory); give path: the coreBOS root, or '
                         'the login_* options' % filename)
    text = raw.decode('utf-8', 'replace')
    try:
        values, env_vars = parse_dbconfig(text)
    except ValueError as exc:
        raise StoreError('coreBOS: %s cannot be read as PHP (%s)' % (filename, exc)) from None
    missing = [key for key in ('db_server', 'db_username', 'db_name') if not values.get(key)]
    if missing:
        raise StoreError('coreBOS: %s does not assign %s as a plain string; give the login_* options instead'
                         % (filename, ', '.join("$dbconfig['%s']" % key for key in missing)))
    host, port, socket = split_db_server(values.get('db_server'), values.get('db_port'))
    warnings = []
    if env_vars:
        warnings.append('coreBOS: %s lets the environment variables %s override the database settings when '
                        'coreBOS runs; this module cannot see the web server environment and used the values '
                        'written in the file (give the login_* options if they differ)'
                        % (filename, ', '.join(env_vars)))
    params = {
        'host': host,
        'port': port,
        'user': values.get('db_username'),
        'password': values.get('db_password', ''),
        'database': values.get('db_name'),
        'unix_socket': socket,
    }
    return params, warnings


_DEFAULT_SOCKETS = ('/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/var/lib/mysql/mysql.sock')


def connection_params(params):
    """The database connection for the module parameters: login_* options override config.inc.php.

    Returns ``(conn_params, warnings)``.
    """
    warnings = []
    base = {'host': None, 'port': DEFAULT_DB_PORT, 'user': None, 'password': None, 'database': None,
            'unix_socket': None}
    path = params.get('path')
    if path:
        base, warnings = read_config_inc(path)
    overrides = (('login_host', 'host'), ('login_port', 'port'), ('login_user', 'user'),
                 ('login_password', 'password'), ('login_db', 'database'), ('login_unix_socket', 'unix_socket'))
    for option, key in overrides:
        if params.get(option) is not None:
            base[key] = params[option]
    if not base.get('database'):
        raise SettingsError('login_db', 'app corebos: give path (the coreBOS root holding config.inc.php) or '
                                        'login_db with the other login_* options')
    if not base.get('user'):
        raise SettingsError('login_user', 'app corebos: login_user is required when path is not given')
    if not base.get('host') and not base.get('unix_socket'):
        base['host'] = 'localhost'
    if base.get('host') == 'localhost' and not base.get('unix_socket'):
        # mysqli (and the mysql client) connect to "localhost" through the default socket.
        for candidate in _DEFAULT_SOCKETS:
            if os.path.exists(candidate):
                base['unix_socket'] = candidate
                break
    base['connect_timeout'] = params.get('timeout') or 10.0
    return base, warnings


def connect(conn_params, pymysql=None):
    """Open a PyMySQL connection (autocommit off). Raises StoreError without quoting the password.

    The connection uses utf8 (utf8mb3), as coreBOS's PearDatabase does (``SET NAMES utf8``): the server then
    hands us exactly the text it hands coreBOS (``?`` for characters beyond U+FFFF in a utf8mb4 column).
    """
    return connect_mysql(conn_params, pymysql, 'coreBOS', 'utf8')


# --------------------------------------------------------------------------------------------------
# Decoding a row into the model (what coreBOS will do with it)
# --------------------------------------------------------------------------------------------------

_ENTITY_RE = re.compile(r'&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z0-9]+);')


def _numeric_reference_allowed(code):
    """The code points PHP's ``html_entity_decode`` (HTML 4.01) decodes from ``&#N;`` (measured with php 8.2)."""
    return (code in (0x09, 0x0A, 0x0D) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0x10FFFF)


def html_entity_decode(value):
    """PHP ``html_entity_decode($value, ENT_QUOTES, 'UTF-8')``: HTML 4.01 names, numeric references, ``;`` needed."""
    if not value or '&' not in value:
        return value
    from html.entities import name2codepoint

    def replace(match):
        ref = match.group(1)
        if ref[0] == '#':
            code = int(ref[2:], 16) if ref[1] in 'xX' else int(ref[1:])
            return chr(code) if _numeric_reference_allowed(code) else match.group(0)
        if ref in name2codepoint:
            return chr(name2codepoint[ref])
        return match.group(0)

    return _ENTITY_RE.sub(replace, value)


def htmlentities(value):
    """PHP ``htmlentities($value, ENT_QUOTES, 'UTF-8')``: every HTML 4.01 named character, and ``'``."""
    if not value:
        return value
    from html.entities import codepoint2name
    return ''.join('&#039;' if char == "'" else ('&%s;' % codepoint2name[ord(char)]
                                                 if ord(char) in codepoint2name else char) for char in value)


# The columns mail.php reads, and what it does with each after query_result() (see read_column).
_DECODED_COLUMNS = ('server_password',)


def column_reads(column, stored):
    """What coreBOS hands PHPMailer from ``stored``: ``(on converting pages, on the others)``.

    ``query_result()`` passes every column through ``to_html()``, which runs ``htmlentities(ENT_QUOTES)``
    only when ``decide_to_html()`` said so for the request: yes for cron, workflows and most pages; no for
    ``<Module>Ajax``, Export, CustomView, ``submode`` requests... mail.php then ``html_entity_decode``s the
    password only. The two differ exactly when the stored text is not plain to HTML.
    """
    stored = stored or ''
    converted = htmlentities(stored)
    if column in _DECODED_COLUMNS:
        return html_entity_decode(converted), html_entity_decode(stored)
    return converted, stored


def read_column(column, stored):
    """The value coreBOS uses, or ``Computed(stored)`` when it depends on the page that sends the mail."""
    converted, raw = column_reads(column, stored)
    if converted == raw:
        return raw
    return Computed(stored or '')


def _unstorable_reason(column, value):
    """Why coreBOS would not use ``value`` exactly from ``column`` on every page (None when it would)."""
    if any(ord(char) > 0xFFFF for char in value):
        return ('coreBOS talks to its database with SET NAMES utf8 (3-byte UTF-8), which turns characters beyond '
                'U+FFFF (emoji and other supplementary characters) into "?"')
    if column in _DECODED_COLUMNS:
        if html_entity_decode(value) != value:
            return ('it contains an HTML character reference ("&" + a name or "#" number + ";"), which '
                    'modules/Emails/mail.php decodes on some pages and not on others')
        return None
    changed = sorted(set(char for char in value if htmlentities(char) != char))
    if changed:
        return ('coreBOS reads it through query_result(), which HTML-encodes %s on most pages (the SMTP server '
                'would get e.g. %s) and not on others' % (' '.join(changed), htmlentities(changed[0])))
    return None


def check_storable(column, option, value):
    """Raise SettingsError naming ``option`` when coreBOS would not use ``value`` exactly."""
    reason = _unstorable_reason(column, value or '')
    if reason:
        raise SettingsError(option, '%s: cannot be stored in corebos because %s' % (option, reason))


def parse_server_column(server, smtp_auth):
    """Split ``vtiger_systems.server`` as PHPMailer does; return a list of entry dicts.

    Each entry: ``host``, ``port`` (25 when absent or 0), ``security`` (from the prefix, else from
    ``smtp_auth``), ``raw`` and ``valid`` (False when PHPMailer would skip it).
    """
    secure = smtp_secure(smtp_auth)
    entries = []
    for raw in (server or '').split(';'):
        text = raw.strip()
        if not text:
            continue
        match = _PHPMAILER_HOST_RE.match(text)
        if not match or not match.group(3):
            entries.append({'raw': text, 'valid': False, 'host': None, 'port': None, 'security': None})
            continue
        prefix = match.group(2)
        if prefix:
            security = _PREFIX_SECURITY[prefix]
        else:
            security = _PREFIX_SECURITY.get(secure, 'none')
        port = int(match.group(4)) if match.group(4) else 0
        if not 0 < port < 65536:
            port = PHPMAILER_DEFAULT_PORT
        entries.append({'raw': text, 'valid': True, 'host': match.group(3).lower(), 'port': port,
                        'security': security})
    return entries


def smtp_secure(smtp_auth):
    """PHPMailer ``SMTPSecure`` that mail.php derives from ``smtp_auth`` ('' when none)."""
    value = smtp_auth if smtp_auth is not None else ''
    if value in ('false', 'true'):
        return ''
    if value in ('tlsnc', 'sslnc'):
        return value[:3]
    if value in ('tls', 'ssl'):
        return value
    return ''


def auth_enabled(smtp_auth):
    """mail.php: ``if ('false' != $smtp_auth)`` -> AUTH on (even for '' and NULL)."""
    return smtp_auth != 'false'


def certificates_checked(smtp_auth):
    return smtp_auth not in ('tlsnc', 'sslnc')


def _entry_url(entry):
    scheme = {'none': 'smtp', 'starttls': 'tls', 'tls': 'ssl'}[entry['security']]
    return '%s://%s:%d' % (scheme, entry['host'], entry['port'])


def decode_row(row):
    """The unmasked model dict (``_settings.MODEL_KEYS``) for a ``vtiger_systems`` email row, or None.

    Extra keys: ``servers`` (parsed entries, backups included) and ``warnings`` (list of strings).
    """
    if row is None:
        return None
    smtp_auth = row.get('smtp_auth')
    entries = parse_server_column(row.get('server'), smtp_auth)
    warnings = []
    invalid = [entry['raw'] for entry in entries if not entry['valid']]
    if invalid:
        warnings.append('coreBOS: PHPMailer ignores the server entries %s stored in vtiger_systems.server'
                        % ', '.join(repr(text) for text in invalid))
    if smtp_auth is not None and smtp_auth not in SMTP_AUTH_VALUES:
        warnings.append('coreBOS: vtiger_systems.smtp_auth holds %r; coreBOS treats it as "true" '
                        '(authentication on)' % smtp_auth)
    main = next((entry for entry in entries if entry['valid']), None)
    auth = auth_enabled(smtp_auth)
    username = read_column('server_username', row.get('server_username')) or None
    password = read_column('server_password', row.get('server_password')) or None
    security = main['security'] if main else None
    validate_certs = certificates_checked(smtp_auth) if security in ('starttls', 'tls') else True
    return {
        # PHPMailer skips entries it cannot parse: the model holds the servers coreBOS will really try.
        'server': ';'.join(_entry_url(entry) for entry in entries if entry['valid']) or None,
        'host': main['host'] if main else None,
        'port': main['port'] if main else None,
        'security': security,
        'validate_certs': validate_certs,
        'auth': auth,
        'username': username,
        'password': password,
        'from_email': read_column('from_email_field', row.get('from_email_field')) or None,
        'from_name': None,
        'servers': entries,
        'warnings': warnings,
    }


def decoded_key(model):
    """What coreBOS will actually do with a decoded row: the value compared for ``changed``."""
    if model is None:
        return None
    servers = tuple((entry['host'], entry['port'], entry['security']) if entry['valid'] else ('?', entry['raw'])
                    for entry in model['servers'])
    uses_tls = any(entry['valid'] and entry['security'] != 'none' for entry in model['servers'])
    return (servers, bool(model['auth']), bool(model['validate_certs']) if uses_tls else True,
            model['username'] or None if model['auth'] else None,
            model['password'] or None if model['auth'] else None,
            model['from_email'] or None)


# --------------------------------------------------------------------------------------------------
# Encoding the model into a row (as Settings > Outgoing Server would have saved it)
# --------------------------------------------------------------------------------------------------

def _host_for_phpmailer(spec):
    host = spec.ascii_host
    if getattr(spec, 'is_ip', False) and ':' in host:
        raise SettingsError('server', 'server: coreBOS (PHPMailer 5.2) cannot use the IPv6 address %s; give a '
                                      'host name that resolves to it' % host)
    if not re.match(r'^[A-Za-z0-9.-]+$', host):
        raise SettingsError('server', 'server: coreBOS (PHPMailer 5.2) cannot use the host name %r (only letters, '
                                      'digits, dots and hyphens)' % host)
    return host


def encode_settings(servers, auth, validate_certs, username, password, from_email, from_name=None):
    """Return the column values for the model (``servers``: list of ``_server.ServerSpec``).

    Raises SettingsError naming the option for settings coreBOS cannot store.
    """
    if from_name:
        raise SettingsError('from_name', 'from_name: app corebos cannot store a sender name (Settings > Outgoing '
                                         'Server has no such field; coreBOS uses the sending user\'s name)')
    if not servers:
        raise SettingsError('server', 'server: the SMTP server is required')
    securities = [spec.security for spec in servers]
    uses_tls = any(sec != 'none' for sec in securities)
    if not validate_certs and uses_tls and not auth:
        raise SettingsError('validate_certs', 'validate_certs: app corebos can turn certificate checks off only '
                                              'together with authentication (smtp_auth tlsnc/sslnc); use '
                                              'auth: true or validate_certs: true')
    if auth:
        if 'none' in securities:
            if not validate_certs and uses_tls:
                raise SettingsError('validate_certs', 'validate_certs: app corebos cannot mix a server without '
                                                      'TLS and servers with unchecked certificates')
            smtp_auth = 'true'
        else:
            smtp_auth = {'starttls': 'tls', 'tls': 'ssl'}[securities[0]]
            if not validate_certs:
                smtp_auth += 'nc'
    else:
        smtp_auth = 'false'
    server = ';'.join('%s%s:%d' % (_SECURITY_PREFIX[spec.security], _host_for_phpmailer(spec), spec.port)
                      for spec in servers)
    if auth:
        check_storable('server_username', 'username', username)
        check_storable('server_password', 'password', password)
    check_storable('from_email_field', 'from_email', from_email)
    return {
        'server': server,
        'server_port': 0,
        'server_username': (username or '') if auth else '',
        'server_password': (password or '') if auth else '',
        'server_type': EMAIL_TYPE,
        'smtp_auth': smtp_auth,
        'server_path': '',
        'from_email_field': from_email or '',
    }


def encode_from_settings(settings):
    """``encode_settings`` for a ``_settings.Settings`` object."""
    return encode_settings(settings.servers, settings.auth, settings.validate_certs, settings.username,
                           settings.password, settings.from_email, settings.from_name)


# MySQL character sets -> the characters they hold (others are not checked here; the read-back after the
# write still catches any conversion).
_CHARSET_CHECKS = {
    'utf8': lambda text: all(ord(char) <= 0xFFFF for char in text),
    'utf8mb3': lambda text: all(ord(char) <= 0xFFFF for char in text),
    'utf8mb4': lambda text: True,
    'latin1': lambda text: _encodable(text, 'cp1252'),
    'ascii': lambda text: _encodable(text, 'ascii'),
}


def _encodable(text, codec):
    try:
        text.encode(codec)
    except UnicodeError:
        return False
    return True


def check_lengths(row, limits):
    """Raise SettingsError naming the option when a value does not fit its column: longer than its size, or
    with characters its character set cannot hold. ``limits``: column -> size, or column -> ``{'size',
    'charset'}``. Non-strict MySQL (coreBOS requires a non-strict sql_mode) would cut or mangle it silently.
    """
    for column, option in COLUMN_OPTIONS:
        limit = limits.get(column)
        if isinstance(limit, dict):
            size, charset = limit.get('size'), (limit.get('charset') or '').lower()
        else:
            size, charset = limit, ''
        value = row.get(column) or ''
        shown = ('%d characters' % len(value)) if option == 'password' else repr(value)
        if size and len(value) > size:
            raise SettingsError(option, '%s: app corebos stores it in %s.%s, which holds at most %d characters '
                                        '(%s given)' % (option, TABLE, column, size, shown))
        fits = _CHARSET_CHECKS.get(charset)
        if fits is not None and not fits(value):
            raise SettingsError(option, '%s: app corebos stores it in %s.%s, whose character set %s cannot hold '
                                        'some of its characters' % (option, TABLE, column, charset))


# --------------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------------

USERS_TABLE = 'vtiger_users'
DEFAULT_TEST_SENDERS = 3  # users' addresses tried when "Email From" is empty
GV_TABLE = 'vtiger_globalvariable'
SUPPORT_VARIABLE = 'HelpDesk_Support_EMail'
SUPPORT_DEFAULT = 'support@your_support_domain.tld'  # mail.php's default of GlobalVariable::getVariable()
_USER_ADDRESS_RE = re.compile(r'^[^@\s<>]+@[^@\s<>\[\]]+$')

_SELECT = ('SELECT id, server, server_port, server_username, server_password, server_type, smtp_auth, '
           'server_path, from_email_field FROM vtiger_systems WHERE server_type = %s ORDER BY id')


def _gv_flag(value):
    return str(value if value is not None else '').strip().lower() in ('1', 'on', 'true')


def _gv_value(value, description):
    value = '' if value is None else str(value)
    return ('' if description is None else str(description)) if value == '[[Use Description]]' else value


def _gv_tier(rows):
    """The HelpDesk value of one tier of records (GlobalVariable::return_global_var_value), '' when none."""
    default, module = '', ''
    for value, description, _mandatory, _default, module_list, in_module_list in rows:
        value = _gv_value(value, description)
        modules = [name.strip() for name in str(module_list or '').split('|##|') if name.strip()]
        if not modules:
            default = value
        elif (str(in_module_list) == '1') == ('HelpDesk' in modules):
            module = value
    return module if module != '' else default


def system_senders_from(rows):
    """``system_senders()`` from the table's rows: (value, description, mandatory, default_check, module_list,
    in_module_list) of the non-deleted HelpDesk_Support_EMail records."""
    mandatory = _gv_tier([row for row in rows if _gv_flag(row[2])])
    if mandatory != '':
        return [mandatory.strip()]
    found = []
    # per user or per group: any of them may be the sender's; then the default tier, or mail.php's default
    for row in rows:
        if not _gv_flag(row[2]) and not _gv_flag(row[3]):
            value = _gv_tier([row]).strip()
            if value and value.lower() not in [a.lower() for a in found]:
                found.append(value)
    default = _gv_tier([row for row in rows if _gv_flag(row[3]) and not _gv_flag(row[2])]).strip()
    default = default or SUPPORT_DEFAULT
    if default.lower() not in [a.lower() for a in found]:
        found.append(default)
    return found


class CoreBOSStore(MysqlStore):
    """The email row of ``vtiger_systems`` behind one PyMySQL connection."""

    app = 'coreBOS'

    def read_rows(self, lock=False):
        """All email rows (coreBOS uses the first), as dicts."""
        cursor = self.connection.cursor()
        try:
            if not self._table_exists(cursor, TABLE):
                raise StoreError('coreBOS: the database has no %s table: is it a coreBOS database?' % TABLE)
            cursor.execute(_SELECT + (' FOR UPDATE' if lock else ''), (EMAIL_TYPE,))
            return [dict(zip(COLUMNS, values)) for values in cursor.fetchall()]
        finally:
            cursor.close()

    def read(self):
        """The email row coreBOS uses (the first), or None. Ends the read transaction."""
        try:
            rows = self.read_rows()
            self.connection.rollback()
        except self._errors() as exc:
            raise self._error('reading %s' % TABLE, exc) from None
        if len(rows) > 1:
            self.warnings.append('coreBOS: %d rows of %s have server_type email; coreBOS uses the first (id %s)'
                                 % (len(rows), TABLE, rows[0]['id']))
        return rows[0] if rows else None

    def user_addresses(self, limit=3):
        """Up to ``limit`` distinct ``email1`` addresses of active, not deleted coreBOS users, by user id."""
        cursor = self.connection.cursor()
        try:
            if not self._table_exists(cursor, USERS_TABLE):
                return []
            cursor.execute("SELECT email1 FROM vtiger_users WHERE status = 'Active' AND deleted = 0 "
                           "AND email1 IS NOT NULL AND email1 <> '' ORDER BY id")
            found = []
            for (address,) in cursor.fetchall():
                address = (address or '').strip()
                if _USER_ADDRESS_RE.match(address) and address.lower() not in [a.lower() for a in found]:
                    found.append(address)
                if len(found) >= limit:
                    break
            return found
        finally:
            cursor.close()

    def system_senders(self):
        """The addresses coreBOS may send its system mail as: the Global Variable ``HelpDesk_Support_EMail``.

        ``modules/Emails/mail.php`` ``send_mail()`` falls back to
        ``GlobalVariable::getVariable('HelpDesk_Support_EMail', 'support@your_support_domain.tld', 'HelpDesk')``
        when neither Email From nor a user's address applies (workflow Send Mail tasks, HelpDesk notifications,
        scheduled reports). ``getVariable`` (modules/GlobalVariable/GlobalVariable.php) takes the first tier
        with a non-empty value: mandatory records, then the sending user's, then the user's groups', then the
        default records, then the default above; inside a tier a record for the HelpDesk module (``module_list``
        with ``in_module_list``) wins over one without a module list, and ``[[Use Description]]`` means the
        record's description. The sending user varies (workflows run as the record's owner), so every
        per-user and per-group value is one coreBOS may use. A missing table reads as the default, as
        coreBOS's failed query does.
        """
        cursor = self.connection.cursor()
        try:
            if not self._table_exists(cursor, GV_TABLE):
                return [SUPPORT_DEFAULT]
            cursor.execute('SELECT g.value, c.description, g.mandatory, g.default_check, g.module_list, '
                           'g.in_module_list FROM vtiger_globalvariable g INNER JOIN vtiger_crmentity c ON '
                           'c.crmid = g.globalvariableid WHERE c.deleted = 0 AND g.gvname = %s ORDER BY '
                           'g.globalvariableid', (SUPPORT_VARIABLE,))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return system_senders_from(rows)

    def column_limits(self):
        cursor = self.connection.cursor()
        try:
            cursor.execute('SELECT COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME FROM '
                           'information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s', (TABLE,))
            return dict((name, {'size': size, 'charset': charset}) for name, size, charset in cursor.fetchall()
                        if size)
        finally:
            cursor.close()

    def next_id(self, cursor):
        """ADOdb ``GenID('vtiger_systems_seq')``: bump the sequence inside the current transaction."""
        if not cursor.execute('UPDATE vtiger_systems_seq SET id=LAST_INSERT_ID(id+1)'):
            # An empty sequence table: ADOdb seeds it with startID - 1 = 0.
            cursor.execute('SELECT COUNT(*) FROM vtiger_systems_seq')
            if cursor.fetchone()[0] == 0:
                cursor.execute('INSERT INTO vtiger_systems_seq VALUES (0)')
            cursor.execute('UPDATE vtiger_systems_seq SET id=LAST_INSERT_ID(id+1)')
        cursor.execute('SELECT LAST_INSERT_ID()')
        return int(cursor.fetchone()[0])

    def write(self, row):
        """UPDATE the email row by id, or INSERT one with a GenID id; one transaction. Returns the id."""
        errors = self._errors()
        try:
            cursor = self.connection.cursor()
            try:
                if not self._table_exists(cursor, SEQ_TABLE):
                    # DDL commits implicitly in MySQL, so it runs before the transaction (as ADOdb does).
                    cursor.execute('CREATE TABLE IF NOT EXISTS vtiger_systems_seq (id int not null)')
                    self.connection.commit()
                self.connection.begin()
                rows = self.read_rows(lock=True)
                if rows:
                    row_id = rows[0]['id']
                    cursor.execute('UPDATE vtiger_systems SET server=%s, server_port=%s, server_username=%s, '
                                   'server_password=%s, smtp_auth=%s, from_email_field=%s WHERE id=%s',
                                   (row['server'], row['server_port'], row['server_username'],
                                    row['server_password'], row['smtp_auth'], row['from_email_field'], row_id))
                else:
                    row_id = self.next_id(cursor)
                    cursor.execute('SELECT COUNT(*) FROM vtiger_systems WHERE id=%s', (row_id,))
                    if cursor.fetchone()[0]:
                        raise StoreError('coreBOS: %s gave id %d, which another %s row already uses; the sequence '
                                         'is behind the table' % (SEQ_TABLE, row_id, TABLE))
                    cursor.execute('INSERT INTO vtiger_systems (id, server, server_port, server_username, '
                                   'server_password, server_type, smtp_auth, server_path, from_email_field) '
                                   'VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)',
                                   (row_id, row['server'], row['server_port'], row['server_username'],
                                    row['server_password'], EMAIL_TYPE, row['smtp_auth'], row['server_path'],
                                    row['from_email_field']))
                self._verify(cursor, row_id, row)
            finally:
                cursor.close()
            self.connection.commit()
            return row_id
        except errors as exc:
            self._rollback()
            raise self._error('writing %s' % TABLE, exc) from None
        except BaseException:
            self._rollback()
            raise

    def _verify(self, cursor, row_id, row):
        """Read the row back inside the transaction: a non-strict server may have cut or converted a value."""
        cursor.execute('SELECT server, server_username, server_password, smtp_auth, from_email_field '
                       'FROM vtiger_systems WHERE id=%s', (row_id,))
        stored = cursor.fetchone()
        for (column, option), value in zip((('server', 'server'), ('server_username', 'username'),
                                            ('server_password', 'password'), ('smtp_auth', 'smtp_auth'),
                                            ('from_email_field', 'from_email')), stored or ()):
            if (value or '') != (row[column] or ''):
                raise StoreError('coreBOS: the database did not store %s as given (%s.%s cut or converted it); '
                                 'the change was rolled back' % (option, TABLE, column))

    def delete(self):
        """Delete the email row(s) in one transaction; returns how many went."""
        errors = self._errors()
        try:
            self.connection.begin()
            cursor = self.connection.cursor()
            try:
                self.read_rows(lock=True)
                count = cursor.execute('DELETE FROM vtiger_systems WHERE server_type = %s', (EMAIL_TYPE,))
            finally:
                cursor.close()
            self.connection.commit()
            return count
        except errors as exc:
            self._rollback()
            raise self._error('deleting from %s' % TABLE, exc) from None
        except BaseException:
            self._rollback()
            raise


# --------------------------------------------------------------------------------------------------
# The app profile (interface: _profiles/_base.py)
# --------------------------------------------------------------------------------------------------

def _model_only(decoded):
    """The ``_settings`` model dict (MODEL_KEYS) from ``decode_row()``'s result."""
    if decoded is None:
        return None
    return dict((key, decoded.get(key)) for key in MODEL_KEYS)


def masked_row(row):
    """A row for diff output: the columns coreBOS uses, the password replaced by ``********``."""
    if row is None:
        return {}
    shown = {}
    for column in ('id', 'server', 'server_username', 'server_password', 'smtp_auth', 'from_email_field'):
        if column in row:
            shown[column] = row[column]
    if shown.get('server_password'):
        shown['server_password'] = MASK
    return shown


class CorebosProfile(DatabaseProfile):
    """``app: corebos``: the email row of ``vtiger_systems`` (see the module docstring)."""

    name = APP
    driver = 'PyMySQL'
    driver_why = ' (app corebos keeps its settings in MySQL/MariaDB)'
    label = 'coreBOS'
    settings_location = "MySQL/MariaDB table `vtiger_systems` (row `server_type='email'`)"
    doc = 'the C(vtiger_systems) database row (O(path) is the coreBOS root, or use the C(login_*) options).'
    options = dict(
        login_host=dict(type='str', description=[
            'For O(app=corebos), the database host (instead of the credentials in the coreBOS C(config.inc.php)).']),
        login_port=dict(type='int', description=['For O(app=corebos), the database port.']),
        login_user=dict(type='str', description=['For O(app=corebos), the database user.']),
        login_password=dict(type='str', no_log=True, description=['For O(app=corebos), the database password.']),
        login_db=dict(type='str', description=['For O(app=corebos), the database name.']),
        login_unix_socket=dict(type='path', description=["For O(app=corebos), the database server's UNIX socket."]),
    )
    multiple_servers = True
    # modules/Emails/mail.php setMailServerProperties -> PHPMailer: tls:// = SMTPSecure tls (STARTTLS command,
    # an error when refused), ssl:// = implicit TLS, no CA setting (SMTPOptions only for tlsnc/sslnc); PHPMailer's
    # SMTP::authenticate tries CRAM-MD5, LOGIN, PLAIN in that order; send_mail() picks the sender. mail.php never
    # sets SMTPAutoTLS, whose PHPMailer default (true) upgrades a server without tls:// or ssl:// to STARTTLS when
    # it offers it, verifying the certificate (no SMTPOptions for 'true'/'false'): the test does the same.
    connection = Connection(auto_starttls=True, mechanisms=('CRAM-MD5', 'LOGIN', 'PLAIN'),
                            senders=('From and envelope: Email From (from_email_field) when set',
                                     "else a user's own address for mail that user sends",
                                     'else the Global Variable HelpDesk_Support_EMail (workflows, HelpDesk, '
                                     'reports)'))

    _system_senders = ()  # HelpDesk_Support_EMail values read by default_test_senders()

    # -- before any I/O
    def check(self, settings, state):
        super().check(settings, state)
        params = self.params
        if not params.get('path'):
            if not params.get('login_db'):
                raise SettingsError('path', 'path: app corebos needs path (the coreBOS root holding config.inc.php) '
                                            'or the login_* options with login_db')
            if not params.get('login_user'):
                raise SettingsError('login_user', 'login_user: app corebos needs it when path is not given')
        if settings is not None:
            encode_from_settings(settings)  # raises SettingsError for what coreBOS cannot store

    # -- the database (DatabaseProfile)
    def import_driver(self):
        return import_pymysql()

    def connection_params(self):
        return connection_params(self.params)

    def connect(self, conn_params, driver):
        return connect(conn_params, driver)

    def open_store(self, connection, driver):
        return CoreBOSStore(connection, driver)

    # -- reading
    def read(self):
        store = self._open()
        row = store.read()
        try:
            limits = store.column_limits()
            users = store.user_addresses(limit=DEFAULT_TEST_SENDERS + 1)
            system = store.system_senders()
            store.connection.rollback()
        except store._errors() as exc:
            raise store._error('reading the %s columns and the users\' addresses' % TABLE, exc) from None
        for warning in store.warnings:
            self.module.warn(warning)
        decoded = decode_row(row)
        secrets = []
        if row is not None:
            for warning in decoded['warnings']:
                self.module.warn(warning)
            secrets = [row.get('server_password'), decoded.get('password')]
        if self.conn_params.get('password'):
            secrets.append(self.conn_params['password'])
        # A row without a usable server is "not configured" for coreBOS (mail.php sends nothing).
        stored = _model_only(decoded) if decoded is not None and decoded['host'] else None
        return Snapshot(True, stored, secrets=secrets,
                        handle={'row': row, 'decoded': decoded, 'limits': limits, 'user_addresses': users,
                                'system_senders': system})

    # -- the SMTP test
    def default_test_senders(self, snapshot, settings):
        """With no "Email From", coreBOS sends as each user: the users' addresses (else None, no default)."""
        from_email = settings.from_email if settings is not None else None
        if from_email is None and snapshot.handle and snapshot.handle.get('row'):
            from_email = snapshot.handle['row'].get('from_email_field') or None
        if from_email:
            return None
        # The account's own address is the test's sender already: take three others, then the system sender.
        username = settings.username if settings is not None else (snapshot.stored or {}).get('username')
        own = (username or '').lower()
        others = [address for address in (snapshot.handle or {}).get('user_addresses') or ()
                  if address.lower() != own][:DEFAULT_TEST_SENDERS]
        self._system_senders = list((snapshot.handle or {}).get('system_senders') or ())
        for address in self._system_senders:
            if address.lower() == SUPPORT_DEFAULT or not is_address(address):
                raise SettingsError('from_email', 'from_email: with Email From empty, coreBOS sends its system mail '
                                    '(workflow Send Mail tasks, HelpDesk notifications, scheduled reports) as the '
                                    'Global Variable %s, which is %s%s; set from_email to the address coreBOS '
                                    'should send as, or give %s an address the account may send as (coreBOS: '
                                    'Settings > Global Variables)'
                                    % (SUPPORT_VARIABLE, address,
                                       ' (its install default: PHPMailer refuses to send from it)'
                                       if address.lower() == SUPPORT_DEFAULT else
                                       ', not an address PHPMailer sends from', SUPPORT_VARIABLE))
            if address.lower() != own and address.lower() not in [a.lower() for a in others]:
                others.append(address)
        return others

    def sender_refusal_advice(self, address, username):
        """What to do when the server refuses one of the default test senders (a coreBOS user's address)."""
        account = (' %s' % username) if username else ''
        if address.lower() in [a.lower() for a in self._system_senders]:
            return ('This server will not let the account%s send as %s, the Global Variable %s: with from_email '
                    '("Email From") empty, coreBOS sends its system mail (workflows, HelpDesk notifications, '
                    'scheduled reports) as that address. Set from_email to an address the account may send as, or '
                    'set %s (Settings > Global Variables) to one.'
                    % (account, address, SUPPORT_VARIABLE, SUPPORT_VARIABLE))
        return ('This server will not let the account%s send as %s, a coreBOS user\'s address: with from_email '
                '("Email From") empty, coreBOS sends each user\'s mail from the user\'s own address. Set from_email '
                'to an address the account may send as, or grant the account Send As rights for the users\' '
                'addresses.' % (account, address))

    # -- planning (no I/O)
    def desired_row(self, snapshot, settings):
        row = encode_from_settings(settings)
        current = snapshot.handle['row']
        if settings.password is None and current is not None and settings.auth:
            row['server_password'] = current.get('server_password') or ''  # keep it exactly as stored
        if settings.from_email is None and current is not None:
            row['from_email_field'] = current.get('from_email_field') or ''
        if current is not None:
            row['id'] = current['id']
        return row

    def plan(self, snapshot, settings, state, update_password):
        current = snapshot.handle['row']
        header = '%s.%s (server_type=email)' % (self.conn_params.get('database') or '', TABLE)
        if state == 'absent':
            return Plan(current is not None, before=masked_row(current), after={}, stored_after=None,
                        payload=None, before_header=header, after_header=header)
        current_password = (snapshot.stored or {}).get('password')
        if update_password in KEEP_STORED and isinstance(current_password, Computed) and settings.auth:
            settings = settings.with_password(None)  # on_create keeps a stored password byte for byte
        row = self.desired_row(snapshot, settings)
        check_lengths(row, snapshot.handle.get('limits') or {})
        desired = decode_row(row)
        if snapshot.handle['decoded'] is not None:
            # A kept value is the stored one: the same object, so a Computed kept value is not a change.
            if settings.password is None and settings.auth:
                desired['password'] = snapshot.handle['decoded']['password']
            if settings.from_email is None:
                desired['from_email'] = snapshot.handle['decoded']['from_email']
        changed = current is None or decoded_key(snapshot.handle['decoded']) != decoded_key(desired)
        after = masked_row(row) if changed else masked_row(current)
        if changed and current is not None and after.get('server_password') and (
                (snapshot.handle['decoded'] or {}).get('password') != desired.get('password')):
            after['server_password'] = PASSWORD_CHANGED  # both sides are masked: say that it differs
        return Plan(changed, before=masked_row(current), after=after,
                    stored_after=_model_only(desired) if changed else snapshot.stored, payload=row,
                    before_header=header, after_header=header)
