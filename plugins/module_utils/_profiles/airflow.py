# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Apache Airflow 3: ``airflow.cfg`` ``[smtp]``/``[email]`` plus the SMTP connection that holds the login.

What Airflow reads (apache-airflow-core 3.3, ``airflow/utils/email.py`` ``send_email``/``send_mime_email``):
``[smtp] smtp_host``, ``smtp_port``, ``smtp_starttls``, ``smtp_ssl``, ``smtp_mail_from`` (the From header and the
envelope sender; default ``airflow@example.com``), ``smtp_timeout``, and the login and password of the connection
``[email] email_conn_id`` names (default ``smtp_default``), looked up by ``Connection.get_connection_from_secrets``:
first the environment variable ``AIRFLOW_CONN_<ID>`` (``airflow/secrets/environment_variables.py``), a URI or a
JSON object (``airflow/_shared/secrets_backend/base.py``). Airflow logs in only when both are non-empty; without
the connection it sends with no login at all, silently. ``[email] ssl_context`` (``default``: the host's trust
store, ``none``: no certificate check) is used for implicit TLS and for STARTTLS alike (``_get_ssl_context``).

The file is read by ``AirflowConfigParser`` (``airflow/_shared/configuration/parser.py``), a ``configparser``
``ConfigParser`` with its defaults (``BasicInterpolation``: ``%%`` is ``%``; no inline comments; ``strict``) but
case-preserving option names, looked up in lower case; every value then goes through ``expand_env_var``
(``os.path.expandvars`` and ``expanduser`` until stable). ``AIRFLOW__SMTP__*``/``AIRFLOW__EMAIL__*`` environment
variables win over the file (``_get_environment_variables`` comes first in ``_lookup_sequence``).

The profile edits ``airflow.cfg`` surgically (the INI store) and validates the whole result with the standard
``configparser`` as Airflow configures it; the connection goes to ``connection_file``, an env file the Airflow
services load (systemd ``EnvironmentFile=``, Compose ``env_file:``; spelled for ``dialect``), as
``AIRFLOW_CONN_<ID>=smtp://LOGIN:PASSWORD@`` with every special character percent-encoded, so that every env-file
reader reads the same text; an existing URI keeps its other parts, a JSON one becomes a URI with its fields.
Both files change in one transaction.
"""

from __future__ import annotations

import configparser
import json
import os
import re
from urllib.parse import quote, unquote, urlsplit

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import (
    FileProfile,
    Plan,
    Snapshot,
    keep_password,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection, SSL_CERT_FILE_PYTHON
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._dotenv_dialects import DIALECTS, dialect_codec
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK, scrub
from ansible_collections.mailops.smtp.plugins.module_utils._settings import PASSWORD_CHANGED, stored_model
from ansible_collections.mailops.smtp.plugins.module_utils.stores.env import EnvStore

SMTP, EMAIL = 'smtp', 'email'
# [smtp] keys written (smtp_timeout and smtp_retry_limit are left alone), and the Airflow 2 login keys that
# Airflow 3 no longer reads (removed: a password nobody reads is still a password in the file)
OWNED = ('smtp_host', 'smtp_port', 'smtp_starttls', 'smtp_ssl', 'smtp_mail_from')
LEGACY = ('smtp_user', 'smtp_password')
# the defaults of airflow/config_templates/config.yml for a key the file does not set
DEFAULTS = {'smtp_host': 'localhost', 'smtp_port': '25', 'smtp_starttls': 'True', 'smtp_ssl': 'False',
            'smtp_mail_from': 'airflow@example.com', 'email_conn_id': 'smtp_default', 'ssl_context': 'default',
            'email_backend': 'airflow.utils.email.send_email_smtp'}
SMTP_BACKEND = 'airflow.utils.email.send_email_smtp'
CONN_PREFIX = 'AIRFLOW_CONN_'
ENV_PREFIXES = ('AIRFLOW__SMTP__', 'AIRFLOW__EMAIL__')
_OVERRIDE_LINE = re.compile(r'^[ \t]*(?:export[ \t]+)?(AIRFLOW__(?:SMTP|EMAIL)__[A-Za-z0-9_]+)[ \t]*=', re.M)
TRUE, FALSE = ('t', 'true', '1'), ('f', 'false', '0')


def _parser():
    """A ``configparser`` configured as ``AirflowConfigParser`` is (its defaults, case-preserving options)."""
    parser = configparser.ConfigParser()
    parser.optionxform = str
    return parser


def read_config(text):
    """The file as Airflow's parser reads it, or StoreError (Airflow would not start)."""
    parser = _parser()
    try:
        parser.read_string(text, source='airflow.cfg')
    except configparser.Error as exc:
        raise StoreError("Python's configparser (Airflow's reader) cannot read it: %s"
                         % str(exc).replace('\n', ' ')) from None
    return parser


def config_value(parser, section, key):
    """What Airflow reads for ``[section] key`` from the file: a str, None when the file does not set it, or
    ``Computed`` (an ``%(name)s`` reference, a ``$VAR`` or a ``~`` that Airflow expands from its environment)."""
    if not parser.has_option(section, key):
        return None
    try:
        value = parser.get(section, key)
    except configparser.Error:
        return Computed(parser.get(section, key, raw=True))
    raw = parser.get(section, key, raw=True)
    if '$' in value or value.startswith('~') or value != raw.replace('%%', '%'):
        return Computed(raw)
    return value


class ConfigparserCodec(Codec):
    """One ``key = value`` line as ``configparser`` with ``BasicInterpolation`` and ``expand_env_var`` read it."""

    raw = True

    def decode(self, stored):
        value = stored.strip()
        if '$' in value or value.startswith('~') or '%(' in value:
            return Computed(value)
        return value.replace('%%', '%')

    def encode(self, value, option='value', app='airflow'):
        value = str(value)
        if any(char in value for char in '\r\n\x00') or value != value.strip():
            self.refuse(option, app, 'configparser strips the blanks around a value and reads a line break as '
                        'a continuation line')
        if '$' in value or value.startswith('~'):
            self.refuse(option, app, 'Airflow expands $NAME and a leading ~ in every airflow.cfg value from its '
                        'environment, and has no escape for them')
        return value.replace('%', '%%')


CONFIGPARSER = ConfigparserCodec()


def _airflow_bool(value, default):
    """``conf.getboolean``: lower-cased, cut at ``#``, t/true/1 or f/false/0 (anything else: Airflow fails)."""
    if value is None:
        value = default
    if not isinstance(value, str):
        return None
    text = value.lower().strip().split('#')[0].strip()
    return True if text in TRUE else False if text in FALSE else None


def _airflow_int(value, default):
    try:
        return int(default if value is None else value)
    except (TypeError, ValueError):
        return None


def _pct(text):
    return quote(text, safe='').replace('~', '%7E')


def connection_login(value):
    """(login, password) Airflow reads from an ``AIRFLOW_CONN_*`` value (URI or JSON); (None, None) when none."""
    if not isinstance(value, str) or not value:
        return None, None
    if value.startswith('{'):
        try:
            data = json.loads(value)
        except ValueError:
            return None, None
        if not isinstance(data, dict):
            return None, None
        return data.get('login'), data.get('password')
    try:
        parts = urlsplit(value.replace('%s://' % urlsplit(value).scheme, '//', 1))
        login, password = parts.username, parts.password
    except ValueError:
        return None, None
    return (unquote(login) if login else login), (unquote(password) if password else password)


def _json_as_uri(data):
    """A JSON connection's fields as Airflow's URI form (``Connection.get_uri``'s layout): conn_type as the scheme,
    host, port, schema as the path, extra as ``__extra__``; None when a field cannot be carried."""
    host, port, schema, extra = data.get('host') or '', data.get('port'), data.get('schema') or '', data.get('extra')
    if not isinstance(host, str) or not isinstance(schema, str) or any(mark in host for mark in '/?#@'):
        return None
    if port not in (None, '') and not str(port).isdigit():
        return None
    tail = host + (':%s' % port if port not in (None, '') else '') + ('/' + _pct(schema) if schema else '')
    if extra not in (None, '', {}):
        tail += '?__extra__=' + _pct(extra if isinstance(extra, str) else json.dumps(extra, separators=(',', ':')))
    return '%s://' % (data.get('conn_type') or 'smtp'), tail


def with_login(value, login, password):
    """The connection ``value`` with its login and password replaced (None: both removed), as a URI with every
    special character percent-encoded (no env-file reader treats any of it specially); a new one when ``value``
    is empty or unreadable. The other parts of an existing URI stay as written; an existing JSON connection's
    fields go into the URI (Airflow reads both forms alike)."""
    userinfo = '' if login is None else '%s:%s@' % (_pct(login), _pct(password or ''))
    if isinstance(value, str) and value.startswith('{'):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        parts = _json_as_uri(data) if isinstance(data, dict) else None
        if parts is not None:
            return parts[0] + userinfo + parts[1]
    elif isinstance(value, str) and '://' in value:
        scheme, rest = value.split('://', 1)
        netloc_end = len(rest)
        for mark in '/?#':
            position = rest.find(mark)
            if position != -1:
                netloc_end = min(netloc_end, position)
        netloc, tail = rest[:netloc_end], rest[netloc_end:]
        return '%s://%s%s%s' % (scheme, userinfo, netloc.rpartition('@')[2], tail)
    return 'smtp://%s' % userinfo


class AirflowProfile(FileProfile):
    """Airflow ``airflow.cfg`` ``[smtp]``/``[email]`` and the SMTP connection in ``connection_file``."""

    name = 'airflow'
    label = 'Apache Airflow'
    settings_location = ('`airflow.cfg` `[smtp]` and `[email] ssl_context`; the login in the `smtp_default` '
                         'connection (`AIRFLOW_CONN_SMTP_DEFAULT` in `connection_file`)')
    doc = (
        "C([smtp]) of Airflow's C(airflow.cfg) (C(smtp_host), C(smtp_port), C(smtp_starttls), C(smtp_ssl), "
        'C(smtp_mail_from)) and C([email] ssl_context) (C(default), or C(none) for O(validate_certs=false)). Airflow '
        'reads the login from the connection C([email] email_conn_id) names (default C(smtp_default)), so the '
        'profile writes it to O(connection_file) as C(AIRFLOW_CONN_SMTP_DEFAULT=smtp://LOGIN:PASSWORD@) '
        '(percent-encoded); a login without O(connection_file) is refused, because Airflow would send with no login '
        'at all. C(AIRFLOW__SMTP__*) environment variables win over the file, and the module warns about those it '
        'sees. No sender name; one server. Restart every Airflow component that sends mail.'
    )
    options = {
        'connection_file': dict(type='path', version_added='1.3.0', description=[
            'For O(app=airflow), the env file the Airflow services load (systemd C(EnvironmentFile=), Compose '
            'C(env_file:)) that holds the SMTP connection C(AIRFLOW_CONN_<ID>) (C(<ID>) from C([email] '
            'email_conn_id), default C(smtp_default)). Airflow reads the SMTP login and password from that '
            'connection only.',
            'The login is written as C(smtp://LOGIN:PASSWORD@) with every special character percent-encoded; an '
            'existing URI keeps its other parts; an existing JSON connection is rewritten as a URI with its fields. '
            'Every other line of the file stays; a new file is created 0600. It changes together with '
            'C(airflow.cfg), in one transaction.',
            "Required when the settings have a login; without a login the connection's login and password are "
            'removed.',
        ]),
        'dialect': dict(type='str', choices=list(DIALECTS), description=[
            'For O(app=airflow), the reader of O(connection_file) (the same choices).',
        ]),
    }
    service = 'airflow-scheduler'
    # airflow/utils/email.py send_mime_email: smtp_starttls calls smtplib starttls() (SMTPNotSupportedError when
    # not offered), smtp_ssl is SMTP_SSL, both with _get_ssl_context() ([email] ssl_context: the host store or no
    # check; no CA setting); smtplib login() tries CRAM-MD5, PLAIN, LOGIN, with or without TLS.
    connection = Connection(ca_env=SSL_CERT_FILE_PYTHON, mechanisms=('CRAM-MD5', 'PLAIN', 'LOGIN'),
                            senders=('From and envelope: smtp_mail_from (default airflow@example.com)',))
    store_format = 'ini'
    owned_container = SMTP
    owned_keys = OWNED + LEGACY   # and [email] ssl_context; the connection is in connection_file
    value_codec = CONFIGPARSER
    secret_paths = ((SMTP, 'smtp_password'),)

    def __init__(self, module, params):
        super().__init__(module, params)
        self.connection_file = params.get('connection_file')
        self.env_codec = dialect_codec(params.get('dialect'))

    # -- before any I/O
    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if settings.auth and not self.connection_file:
            raise SettingsError('connection_file', 'connection_file: Airflow reads the SMTP login from a connection '
                                '(AIRFLOW_CONN_SMTP_DEFAULT), not from airflow.cfg, and sends with no login at all '
                                'without one; give connection_file, the env file the Airflow services load '
                                '(systemd EnvironmentFile=, Compose env_file:), and the module writes it there')
        if settings.from_name is not None:
            raise SettingsError('from_name', 'from_name: this module writes only the address to Airflow\'s '
                                'smtp_mail_from (no sender name)')
        if self.connection_file and os.path.abspath(self.connection_file) == os.path.abspath(self.path):
            raise SettingsError('connection_file', 'connection_file: it must be another file than airflow.cfg')

    # -- reading
    def _conn_name(self, parser):
        conn_id = config_value(parser, EMAIL, 'email_conn_id')
        if conn_id is None:
            conn_id = DEFAULTS['email_conn_id']
        if isinstance(conn_id, Computed) or not conn_id:
            raise StoreError('airflow: [email] email_conn_id in %s is expanded from the environment; the module cannot '
                             'tell which connection Airflow uses' % self.path)
        return CONN_PREFIX + conn_id.upper()

    def _view(self, text, conn_text):
        """(parser, conn store, env name, connection value) of the two texts."""
        parser = read_config(text or '')
        name = self._conn_name(parser)
        conn_store = EnvStore.parse(conn_text or '')
        value = self.env_codec.load(conn_store, (name,)) if conn_text else None
        return parser, conn_store, name, value

    def _model(self, parser, value):
        host = config_value(parser, SMTP, 'smtp_host')
        if not isinstance(host, str) or not host:
            return None
        port = _airflow_int(config_value(parser, SMTP, 'smtp_port'), DEFAULTS['smtp_port'])
        starttls = _airflow_bool(config_value(parser, SMTP, 'smtp_starttls'), DEFAULTS['smtp_starttls'])
        use_ssl = _airflow_bool(config_value(parser, SMTP, 'smtp_ssl'), DEFAULTS['smtp_ssl'])
        if starttls is None or use_ssl is None:
            security = None   # Airflow fails to read it: drift
        else:
            security = 'tls' if use_ssl else 'starttls' if starttls else 'none'
        context = config_value(parser, EMAIL, 'ssl_context') or DEFAULTS['ssl_context']
        validate = True if context == 'default' else False if context == 'none' else None
        login, password = connection_login(value if isinstance(value, str) else None)
        mail_from = config_value(parser, SMTP, 'smtp_mail_from')
        return stored_model(host=host, port=port, security=security,
                            validate_certs=True if security == 'none' else validate,
                            auth=bool(login) and bool(password), username=login or None, password=password or None,
                            from_email=mail_from if isinstance(mail_from, str) and mail_from else None)

    def extract(self, store):
        return self._model(read_config(store.render()), None)

    def read(self):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import read_text
        text = read_text(self.path)
        conn_text = read_text(self.connection_file) if self.connection_file else None
        try:
            parser, _conn_store, name, value = self._view(text, conn_text)
        except StoreError as exc:
            raise StoreError('airflow: cannot read %s: %s' % (self.path, exc)) from None
        stored = self._model(parser, value) if text is not None else None
        secrets = []
        login_password = connection_login(value if isinstance(value, str) else None)[1]
        if login_password:
            secrets += [login_password, _pct(login_password), quote(login_password, safe='')]
        if isinstance(value, str) and value:
            secrets.append(value)
        legacy = config_value(parser, SMTP, 'smtp_password')
        if isinstance(legacy, str) and legacy:
            secrets.append(legacy)
        handle = dict(text=text or '', conn_text=conn_text, name=name, overrides=self._overrides(conn_text),
                      backend=config_value(parser, EMAIL, 'email_backend'))
        return Snapshot(text is not None, stored, secrets=secrets, handle=handle)

    def _overrides(self, conn_text):
        """The ``AIRFLOW__SMTP__*``/``AIRFLOW__EMAIL__*`` variables the module can see: in connection_file (the
        services' environment) and in its own environment."""
        found = []
        if conn_text:
            found += ['%s (in %s)' % (key, self.connection_file) for key in _OVERRIDE_LINE.findall(conn_text)]
        found += ['%s (in the environment of this task)' % key for key in sorted(os.environ)
                  if key.startswith(ENV_PREFIXES)]
        return found

    # -- planning
    def plan(self, snapshot, settings, state, update_password):
        handle = snapshot.handle if isinstance(snapshot.handle, dict) else dict(
            text=snapshot.handle or '', conn_text=None, name=None, overrides=[], backend=None)
        old_text, old_conn = handle['text'], handle['conn_text']
        store = self.parse(old_text)
        name = handle['name'] or self._conn_name(read_config(old_text))
        conn_store = EnvStore.parse(old_conn or '')
        old_value = self.env_codec.load(conn_store, (name,)) if old_conn else None
        try:
            if state == 'absent':
                if snapshot.exists:
                    self.remove(store)
                if old_value is not None:
                    conn_store.delete((name,))
            else:
                self.apply(store, settings, snapshot.stored or {}, update_password)
                self._apply_connection(conn_store, name, old_value, settings, snapshot.stored or {},
                                       update_password)
        except StoreError as exc:
            raise StoreError('airflow: cannot edit %s: %s' % (self.path, exc)) from None
        new_text, new_conn = store.render(), conn_store.render()
        if old_conn is None and not new_conn:
            new_conn = None
        try:
            parser, _store, _name, new_value = self._view(new_text, new_conn)
        except StoreError as exc:
            raise StoreError('airflow: the edited %s would not be readable: %s' % (self.path, exc)) from None
        text_changed = new_text != old_text or (state != 'absent' and not snapshot.exists)
        conn_changed = new_conn != old_conn
        changed = text_changed or conn_changed
        if not snapshot.exists and state == 'absent':
            changed = text_changed = conn_changed = False
            new_text, new_conn = old_text, old_conn
        stored_after = snapshot.stored if state != 'absent' and not changed else (
            self._model(parser, new_value) if state != 'absent' or snapshot.exists else None)
        if state != 'absent' and changed:
            self._check_read_back(parser, new_value, settings, stored_after)
        secrets = list(snapshot.secrets)
        if settings is not None and settings.password:
            secrets += [settings.password, _pct(settings.password), quote(settings.password, safe='')]
        if isinstance(new_value, str) and new_value:
            secrets.append(new_value)
        old_password = (snapshot.stored or {}).get('password')
        new_password = (stored_after or {}).get('password')
        mask = PASSWORD_CHANGED if old_password and new_password and new_password != old_password else MASK
        warnings = self._warnings(handle, settings, state)
        return Plan(changed, before=self._diff(old_text if snapshot.exists else '', old_conn, name, secrets),
                    after=self._diff(new_text, new_conn, name, secrets, mask), stored_after=stored_after,
                    payload=dict(text=new_text, text_changed=text_changed, conn_text=new_conn,
                                 conn_changed=conn_changed),
                    before_header='%s (before)' % self.path if snapshot.exists else '%s (absent)' % self.path,
                    after_header='%s (after)' % self.path, warnings=warnings)

    def _apply_connection(self, conn_store, name, old_value, settings, stored, update_password):
        if settings.auth:
            password = keep_password(settings, stored, update_password) or ''
            value = with_login(old_value if isinstance(old_value, str) else None, settings.username, password)
        elif old_value is None or not any(connection_login(old_value if isinstance(old_value, str) else None)):
            return
        else:
            value = with_login(old_value if isinstance(old_value, str) else None, None, None)
        if old_value == value:
            return
        conn_store.set_raw((name,), self.env_codec.encode(value, 'password', 'the %s value in %s' % (
            name, self.connection_file)), keep_export=self.env_codec.keep_export)

    def _check_read_back(self, parser, value, settings, stored_after):
        """The edited files, read as Airflow reads them, say what was written (else refused: nothing changes)."""
        expected = dict(host=settings.host, port=settings.port, security=settings.security)
        if settings.auth:
            expected.update(username=settings.username)
        for key, want in expected.items():
            if (stored_after or {}).get(key) != want:
                raise StoreError('airflow: after the edit Airflow would read %s differently from what was written '
                                 '(a continuation line or a duplicate key in %s?); nothing was changed'
                                 % (key, self.path))

    def _warnings(self, handle, settings, state):
        if state == 'absent':
            return []
        warnings = []
        for variable in handle.get('overrides') or ():
            warnings.append('%s: Airflow reads this environment variable instead of airflow.cfg; make it agree with '
                            'the tested settings or remove it' % variable)
        backend = handle.get('backend')
        if isinstance(backend, str) and backend != SMTP_BACKEND:
            warnings.append('[email] email_backend in %s is %s, not %s: Airflow does not send through [smtp]'
                            % (self.path, backend, SMTP_BACKEND))
        if settings is not None and not settings.auth and not self.connection_file:
            warnings.append('airflow: without connection_file the module cannot see a %s connection that Airflow '
                            'may find in its environment or metadata database and log in with'
                            % (handle.get('name') or CONN_PREFIX + 'SMTP_DEFAULT'))
        return warnings

    def apply(self, store, settings, stored, update_password):
        put = self.put
        put(store, (SMTP, 'smtp_host'), settings.host, option='server')
        put(store, (SMTP, 'smtp_port'), str(settings.port), option='port')
        put(store, (SMTP, 'smtp_starttls'), 'True' if settings.security == 'starttls' else 'False', option='security')
        put(store, (SMTP, 'smtp_ssl'), 'True' if settings.security == 'tls' else 'False', option='security')
        if settings.security != 'none':
            put(store, (EMAIL, 'ssl_context'), 'default' if settings.validate_certs else 'none',
                option='validate_certs')
        if settings.from_email is not None:
            put(store, (SMTP, 'smtp_mail_from'), settings.from_email, option='from_email')
        for key in LEGACY:
            self.drop(store, (SMTP, key))

    def remove(self, store):
        for key in OWNED + LEGACY:
            self.drop(store, (SMTP, key))

    def _diff(self, text, conn_text, name, secrets, mask=MASK):
        shown = self.masked(text, secrets, mask) if text else ''
        if conn_text:
            conn_store = EnvStore.parse(conn_text)
            if conn_store.get_raw((name,)) is not None:
                conn_store.set_raw((name,), mask)
            shown += '\n# ---- %s ----\n%s' % (self.connection_file, scrub(conn_store.render(), secrets))
        return shown

    # -- the order of work's hooks
    def password_path(self, plan):
        return self.connection_file or self.path

    def default_test_senders(self, snapshot, settings):
        """Without from_email Airflow sends as the smtp_mail_from it reads (default airflow@example.com)."""
        if settings is None or settings.from_email is not None:
            return None
        return [(snapshot.stored or {}).get('from_email') or DEFAULTS['smtp_mail_from']]

    def sender_refusal_advice(self, address, username):
        return ('Airflow sends every mail as smtp_mail_from (%s now) and the server refused it for this account; '
                'set from_email to an address the account may send as' % address)

    # -- writing: airflow.cfg and connection_file as one transaction
    def commit(self, plan):
        from ansible_collections.mailops.smtp.plugins.module_utils import _files
        payload = plan.payload
        prepared = []
        try:
            if payload['conn_changed']:
                prepared.append(_files.prepare(self.module, self.connection_file,
                                               (payload['conn_text'] or '').encode('utf-8')))
            if payload['text_changed']:
                prepared.append(_files.prepare(self.module, self.path, payload['text'].encode('utf-8'),
                                               **self._attributes()))
        except BaseException:
            for candidate in prepared:
                candidate.discard()
            raise
        backups = {}
        if self.params.get('backup'):
            backups[_files.resolve(self.path)] = 'backup_file'
            if self.connection_file:
                backups[_files.resolve(self.connection_file)] = 'connection_backup_file'
        return _files.commit(self.module, prepared, backups=backups)
