# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one settings model shared by every app profile (the options in docs/modules/outgoing_server.md).

``settings_from_params()`` validates the ``outgoing_server`` options into a ``Settings`` object:
server syntax (through ``_server.parse_servers``), CR/LF/NUL in any value, address syntax, the
``auth`` default and contradicting options. ``Settings.model()`` gives the dict used for the
``settings``, ``drift`` and diff return values, with the password masked.

Model keys: ``server, host, port, security, validate_certs, auth, username, password, password_set,
from_email, from_name``. A profile reading a store produces the same dict through ``stored_model()``.
"""

from __future__ import annotations

import math
import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK
from ansible_collections.mailops.smtp.plugins.module_utils._server import _idna_encode, parse_servers

# The after side of a diff where a stored password is replaced by another one: both sides are masked, so
# without it a password-only change would show as an empty diff.
PASSWORD_CHANGED = MASK + ' (changed)'

# Order matters: it is the order of the ``settings`` and ``drift`` return values.
MODEL_KEYS = ('server', 'host', 'port', 'security', 'validate_certs', 'auth', 'username', 'password',
              'from_email', 'from_name')

# Settings compared for drift (``server`` is derived from host/port/security).
DRIFT_KEYS = ('host', 'port', 'security', 'validate_certs', 'auth', 'username', 'password',
              'from_email', 'from_name')

_CONTROL_RE = re.compile(u'[\r\n\x00]')
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
# RFC 6531 widens atext by non-ASCII characters (an SMTPUTF8 local part such as jörg@example.org); C1 controls,
# no-break space and the Unicode line separators stay out.
_ATOM = u'[\u00a1-\u2027\u202a-\U0010ffff%s]+' % _ATEXT
_LOCAL_RE = re.compile(u'^%s(?:\\.%s)*$' % (_ATOM, _ATOM))
_LABEL_RE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?$')


# Options whose values are PEM or JSON documents (several lines by nature); they never reach an SMTP line or
# a header: the token request sends them form-encoded, or they are read from the file they name.
MULTILINE_OPTIONS = ('oauth2.client_certificate', 'oauth2.client_private_key', 'oauth2.service_account_key')


def check_control_characters(value, option):
    """Raise SettingsError when ``value`` (string, or list/dict of them) holds CR, LF or NUL.

    The message names the option but never quotes the value (it may be a password).
    """
    if option in MULTILINE_OPTIONS:
        if isinstance(value, str) and '\x00' in value:
            raise SettingsError(option, '%s: NUL characters are not allowed' % option)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            check_control_characters(key, option)
            check_control_characters(item, '%s.%s' % (option, key))
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_control_characters(item, option)
    elif isinstance(value, str) and _CONTROL_RE.search(value):
        raise SettingsError(option, '%s: CR, LF and NUL characters are not allowed (header or command injection)'
                            % option)


# Upper bounds of the time options, in seconds: finite, and small enough for every socket and clock call.
DURATION_LIMITS = (('timeout', 3600.0), ('deadline', 86400.0))


def check_duration(option, value, limit):
    """Raise SettingsError unless ``value`` is a finite number of seconds in (0, limit]."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(option, '%s: must be a number of seconds' % option)
    if not math.isfinite(value) or not 0 < value <= limit:
        raise SettingsError(option, '%s: must be a finite number of seconds greater than 0 and at most %d, not %s'
                            % (option, limit, value))


def check_durations(params):
    """``check_duration`` for the ``timeout`` and ``deadline`` options."""
    for option, limit in DURATION_LIMITS:
        check_duration(option, params.get(option), limit)


def check_all_control_characters(params):
    """Apply ``check_control_characters`` to every module parameter."""
    for option in sorted(params):
        check_control_characters(params[option], option)


def _domain_ok(domain):
    if domain.startswith('[') and domain.endswith(']'):
        import ipaddress
        literal = domain[1:-1]
        if literal.lower().startswith('ipv6:'):
            literal = literal[5:]
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    try:
        ascii_domain = _idna_encode(domain)  # the one IDNA rule the SMTP test uses too
    except ValueError:
        return False
    if len(ascii_domain) > 253:
        return False
    labels = ascii_domain.split('.')
    if len(labels) < 2 and ascii_domain.lower() != 'localhost':
        # Single-label domains (``user@localhost``) are accepted for localhost only.
        return False
    return all(_LABEL_RE.match(label) for label in labels)


def is_address(value):
    """True when ``value`` is a plain RFC 5321 mailbox ``local@domain`` (dot-atom local part, RFC 6531 UTF-8
    allowed). The one address rule of the collection: the settings and the SMTP test both use it."""
    if not isinstance(value, str) or value.count('@') < 1:
        return False
    local, _sep, domain = value.rpartition('@')
    if not local or not domain or len(local) > 64 or len(value) > 254:
        return False
    return bool(_LOCAL_RE.match(local)) and _domain_ok(domain)


def check_address(value, option):
    """``value`` when it is an address (or None); else raise SettingsError naming ``option``."""
    if value is None:
        return None
    if not is_address(value):
        raise SettingsError(option, '%s: %r is not an e-mail address (expected local@domain)' % (option, value))
    return value


TEST_LEVELS = ('none', 'connect', 'tls', 'auth', 'envelope', 'send')
TRANSCRIPT_MODES = ('on_failure', 'always', 'never')


class TestOptions:
    """How the SMTP test runs: the options of the ``smtp_test`` doc fragment, plus check mode and ``suggest``.

    ``probe_smtp(settings, test_options)`` takes the WHAT (``Settings``: servers, TLS, login, sender) and the
    HOW FAR (this) separately; ``from_params()`` reads the module options of the same names (``test`` is
    ``level``). The probe validates the values (``SettingsError`` naming the option).
    """

    __test__ = False  # not a pytest test class

    FIELDS = ('level', 'test_sender', 'test_senders', 'test_recipient', 'ehlo_name', 'timeout', 'deadline',
              'transcript', 'suggest', 'check_mode', 'mechanisms', 'ca_alone', 'mechanism_order', 'auto_starttls')

    def __init__(self, level='envelope', test_sender=None, test_senders=None, test_recipient=None, ehlo_name=None,
                 timeout=10.0, deadline=30.0, transcript='on_failure', suggest=True, check_mode=False,
                 mechanisms=None, ca_alone=False, mechanism_order='app', auto_starttls=False):
        self.level = level
        self.test_sender = test_sender
        self.test_senders = test_senders
        self.test_recipient = test_recipient
        self.ehlo_name = ehlo_name
        self.timeout = timeout
        self.deadline = deadline
        self.transcript = transcript
        self.suggest = suggest
        self.check_mode = check_mode
        # How the app connects (_profiles/_connection.py), not module options: the AUTH mechanisms to choose
        # from, in the app's order (None: the probe's own), or in the server's order (mechanism_order 'server'),
        # whether ca_path replaces the system trust store, and whether the app upgrades a security: none
        # connection to STARTTLS when the server offers it.
        self.mechanisms = tuple(mechanisms) if mechanisms else None
        self.ca_alone = bool(ca_alone)
        self.mechanism_order = mechanism_order
        self.auto_starttls = bool(auto_starttls)

    @classmethod
    def from_params(cls, params, check_mode=False, **overrides):
        """The test options from module parameters; ``overrides`` replace single fields (``test_senders``)."""
        defaults = cls()
        values = dict((name, params.get('test' if name == 'level' else name)) for name in cls.FIELDS
                      if name not in ('check_mode', 'mechanisms', 'ca_alone', 'mechanism_order', 'auto_starttls'))
        for name, value in list(values.items()):
            if value is None and name not in ('test_sender', 'test_senders', 'test_recipient', 'ehlo_name'):
                values[name] = getattr(defaults, name)
        values['check_mode'] = bool(check_mode)
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes):
        values = dict((name, getattr(self, name)) for name in self.FIELDS)
        values.update(changes)
        return TestOptions(**values)


class Settings:
    """Validated outgoing-server settings in the model's terms.

    ``servers`` is a list of ``_server.ServerSpec``; the first is the main server. ``password`` may be
    ``None`` when the user gave none (``update_password: on_create`` keeps the stored one).
    ``given`` is the set of option names the user set explicitly (profiles refuse to drop those).
    """

    def __init__(self, servers, validate_certs=True, ca_path=None, auth=False, username=None, password=None,
                 from_email=None, from_name=None, given=(), oauth2=None):
        self.servers = list(servers)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.auth = auth
        self.username = username
        self.password = password
        self.from_email = from_email
        self.from_name = from_name
        self.given = frozenset(given)
        # OAuth 2.0 instead of the password (the oauth2 option without unset keys), or None
        self.oauth2 = dict((k, v) for k, v in oauth2.items() if v is not None) if oauth2 else None

    @classmethod
    def for_test(cls, params):
        """Settings from module parameters for a test only (``smtp_probe``): the servers parsed, the rest as
        given; ``probe_smtp()`` validates them. ``auth`` stays None when not given (on when a username is set)."""
        servers = parse_servers(params.get('server'), port=params.get('port'), security=params.get('security'))
        return cls(servers, validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                   auth=params.get('auth'), username=params.get('username'), password=params.get('password'),
                   from_email=params.get('from_email'), from_name=params.get('from_name'),
                   oauth2=params.get('oauth2'))

    @property
    def main(self):
        return self.servers[0]

    @property
    def server(self):
        return ';'.join(spec.url() for spec in self.servers)

    @property
    def host(self):
        return self.main.ascii_host

    @property
    def port(self):
        return self.main.port

    @property
    def security(self):
        return self.main.security

    def values(self):
        """Unmasked model values (never return this dict to the user)."""
        return {
            'server': self.server,
            'host': self.host,
            'port': self.port,
            'security': self.security,
            'validate_certs': self.validate_certs,
            'auth': self.auth,
            'username': self.username,
            'password': self.password,
            'from_email': self.from_email,
            'from_name': self.from_name,
        }

    def model(self):
        """The masked model dict (safe to return)."""
        return mask_model(self.values())

    def with_password(self, password):
        return Settings(self.servers, self.validate_certs, self.ca_path, self.auth, self.username, password,
                        self.from_email, self.from_name, self.given, self.oauth2)


def mask_model(values):
    """Masked copy of a model dict: ``password`` becomes ``********`` (or None) and ``password_set`` is added."""
    if values is None:
        return None
    result = {}
    for key in MODEL_KEYS:
        result[key] = values.get(key)
    password = values.get('password')
    result['password_set'] = bool(password)
    result['password'] = MASK if password else None
    return result


def server_url(host, port, security):
    """Canonical server string for a stored host/port/security (None when the host is unknown)."""
    if not host:
        return None
    scheme = {'none': 'smtp', 'starttls': 'tls', 'tls': 'ssl'}.get(security or 'starttls', 'tls')
    shown = '[%s]' % host if ':' in host and not host.startswith('[') else host
    if port is None:
        return '%s://%s' % (scheme, shown)
    return '%s://%s:%s' % (scheme, shown, port)


def stored_model(host=None, port=None, security=None, validate_certs=None, auth=None, username=None,
                 password=None, from_email=None, from_name=None):
    """Build the unmasked model dict for settings read from a store."""
    return {
        'server': server_url(host, port, security),
        'host': host,
        'port': port,
        'security': security,
        'validate_certs': validate_certs,
        'auth': auth,
        'username': username,
        'password': password,
        'from_email': from_email,
        'from_name': from_name,
    }


def settings_from_params(params):
    """Validate the module parameters into ``Settings``; raise ``SettingsError`` naming the option."""
    check_all_control_characters(params)
    given = set(name for name in ('server', 'port', 'security', 'validate_certs', 'ca_path', 'auth', 'username',
                                  'password', 'from_email', 'from_name') if params.get(name) is not None)
    server = params.get('server')
    if server is None or server == '':
        raise SettingsError('server', 'server: the SMTP server is required')
    servers = parse_servers(server, port=params.get('port'), security=params.get('security'))

    username = params.get('username')
    password = params.get('password')
    if username == '':
        username = None
    if password == '':
        password = None
    auth = params.get('auth')
    if auth is None:
        auth = username is not None
    if auth and username is None:
        raise SettingsError('auth', 'auth: true needs a username')
    if password is not None and username is None:
        raise SettingsError('password', 'password: given without a username')
    if not auth and password is not None:
        raise SettingsError('auth', 'auth: false contradicts the password given (remove one of them)')
    oauth2 = dict((k, v) for k, v in (params.get('oauth2') or {}).items() if v is not None) or None
    if oauth2 is not None:
        if password is not None:
            raise SettingsError('oauth2', 'oauth2: oauth2 and password exclude each other (the token replaces the '
                                'password)')
        if username is None:
            raise SettingsError('username', 'username: oauth2 needs username, the mailbox to log in as')
        if not auth:
            raise SettingsError('auth', 'auth: false contradicts oauth2 (remove one of them)')
        from ansible_collections.mailops.smtp.plugins.module_utils._oauth2 import OAuthSettingsError, validate
        try:
            validate(oauth2)
        except OAuthSettingsError as exc:
            raise SettingsError(exc.option, '%s' % exc) from None

    validate_certs = params.get('validate_certs')
    if validate_certs is None:
        validate_certs = True
    ca_path = params.get('ca_path')
    if ca_path and not validate_certs:
        raise SettingsError('ca_path', 'ca_path: given with validate_certs: false (remove one of them)')
    if not validate_certs and servers[0].security == 'none':
        raise SettingsError('validate_certs', 'validate_certs: false means nothing with security: none')

    from_email = check_address(params.get('from_email') or None, 'from_email')
    from_name = params.get('from_name') or None
    return Settings(servers, validate_certs=validate_certs, ca_path=ca_path, auth=bool(auth), username=username,
                    password=password, from_email=from_email, from_name=from_name, given=given, oauth2=oauth2)


def compute_drift(stored, desired, keep_stored_secret=False):
    """List of ``{setting, before, after}`` (passwords masked) where the stored model differs from ``desired``.

    ``stored`` and ``desired`` are unmasked model dicts; ``stored`` may be None (nothing stored).
    ``keep_stored_secret`` is ``update_password: on_create``: a stored password is never drift.
    """
    stored = stored or {}
    drift = []
    for key in DRIFT_KEYS:
        want = desired.get(key)
        have = stored.get(key)
        if key == 'password':
            if want is None or (keep_stored_secret and have):
                continue
            if want != have:
                drift.append({'setting': key, 'before': MASK if have else None, 'after': MASK})
            continue
        if key in ('from_email', 'from_name') and want is None:
            continue  # not managed: left as stored
        if key == 'username' and want is None and not have:
            continue
        if _normalized(key, want) != _normalized(key, have):
            drift.append({'setting': key, 'before': have, 'after': want})
    return drift


def _normalized(key, value):
    if key == 'host' and isinstance(value, str):
        return value.lower().rstrip('.')
    if key == 'port' and value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if value == '':
        return None
    return value
