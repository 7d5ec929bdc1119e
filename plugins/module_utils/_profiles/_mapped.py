# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Key-mapped files: the ``keys`` option (or a profile's defaults) names where each setting goes."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import TypedCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    check_sender_name,
    format_from,
    parse_from,
    text_bool,
    to_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model
from ansible_collections.mailops.smtp.plugins.module_utils.stores._registry import MAPPED_FORMATS


# Settings a ``keys`` map may name: the model's settings plus a few derived ones many apps use.
MAPPABLE = ('server', 'host', 'port', 'security', 'validate_certs', 'skip_verify', 'auth', 'username', 'password',
            'from_email', 'from_name', 'from', 'use_tls', 'use_ssl')

_BOOL_SETTINGS = ('validate_certs', 'skip_verify', 'auth', 'use_tls', 'use_ssl')
_DERIVED_FLAGS = ('skip_verify', 'use_tls', 'use_ssl')


class MappedProfile(FileProfile):
    """A file whose keys are named by the ``keys`` option (``generic``) or by defaults (``dotenv``).

    ``keys`` maps settings (see ``MAPPABLE``) to key paths: ``section.key`` (ini), ``a.b.c`` (json, yaml),
    ``KEY`` (env), ``var.key`` (php; ``$`` optional). ``values`` maps a setting to ``{model value: stored
    value}`` (e.g. ``security: {starttls: STARTTLS}``); otherwise values keep the model's spelling, typed for
    json/yaml/php and as text for ini/env.
    """

    name = 'generic'
    options = dict(
        format=dict(type='str', choices=list(MAPPED_FORMATS), description=[
            'The file format for O(app=generic) (V(env) is implied for O(app=dotenv)).',
        ]),
        keys=dict(type='dict', no_log=False, description=[
            'For O(app=generic) (required) and O(app=dotenv) (replaces the Django names), a map from setting to key '
            'path.',
            'Settings are V(server) (the whole V(scheme://host:port)), V(host), V(port), V(security), '
            'V(validate_certs), V(skip_verify) (the opposite of V(validate_certs)), V(auth), V(username), '
            'V(password), V(from_email), V(from_name), V(from) (C("Name" <address>) in one key), V(use_tls) (true '
            'for STARTTLS) and V(use_ssl) (true for implicit TLS).',
            'Key paths are V(section.key) for V(ini) (V(key) alone for keys before the first section), V(a.b.c) for '
            'V(json) and V(yaml), V(KEY) for V(env), V(var.key) for V(php) (for example V(CONFIG.mail_smtphost)).',
            'A setting given to the module that has no key to go to is an error.',
        ]),
        values=dict(type='dict', description=[
            "For O(app=generic) and O(app=dotenv), how a setting's values are spelled in the file, as a map from "
            'setting to a map from model value to stored value, for example '
            "C({security: {none: '', starttls: STARTTLS, tls: TLS}}).",
            "Without it, values keep the model's spelling (V(none), V(starttls), V(tls); booleans as JSON/YAML/PHP "
            'booleans, or V(true)/V(false) in V(ini) and V(env) files, V(True)/V(False) for O(app=dotenv)).',
        ]),
    )
    default_keys = None
    # The value codec per format. The reader of a generic file is unknown: INI values are written and read the
    # way go-ini reads them with its default LoadOptions (inline comments, continuation lines, %(key)s), typed
    # formats through their parsers. A subclass replaces an entry (dotenv: its dialects for env).
    format_codecs = {
        'ini': GoIniCodec(continuation=True),
        'json': TypedCodec('JSON'),
        'php': TypedCodec('PHP'),
        'yaml': TypedCodec('YAML'),
    }
    text_true = 'true'
    text_false = 'false'

    def __init__(self, module, params):
        super().__init__(module, params)
        self.format = params.get('format')
        keys = params.get('keys')
        if not keys and self.default_keys is not None:
            keys = dict(self.default_keys)
        self.keys = dict(keys or {})
        self.values_map = dict(params.get('values') or {})

    @property
    def stores_sender_name(self):
        return 'from_name' in self.keys or 'from' in self.keys

    def fmt(self):
        return self.format

    def codec(self, path):
        return self.format_codecs.get(self.format, self.value_codec)

    def check(self, settings, state):
        super().check(settings, state)
        if self.format not in MAPPED_FORMATS:
            raise SettingsError('format', 'format: app=%s needs format, one of %s'
                                % (self.name, ', '.join(MAPPED_FORMATS)))
        if not self.keys:
            raise SettingsError('keys', 'keys: app=%s needs keys, a map from setting to key path' % self.name)
        for setting, key in self.keys.items():
            if setting not in MAPPABLE:
                raise SettingsError('keys', 'keys: unknown setting %r (use %s)' % (setting, ', '.join(MAPPABLE)))
            if not key or not isinstance(key, str):
                raise SettingsError('keys', 'keys.%s: a key path is required' % setting)
        for setting, mapping in self.values_map.items():
            if setting not in MAPPABLE or not isinstance(mapping, dict):
                raise SettingsError('values', 'values.%s: expected a map from model value to stored value'
                                    % setting)
        self.key_paths = dict((setting, self.key_path(key)) for setting, key in self.keys.items())
        if settings is None:
            return
        has = self.keys.__contains__
        if not (has('server') or has('host')):
            raise SettingsError('keys', 'keys: app=%s needs a key for server or host' % self.name)
        if not has('server') and not has('port'):
            raise self.unsupported('port', 'keys has no key for port or server (%s)' % self.name)
        if not (has('server') or has('security') or has('use_tls') or has('use_ssl')):
            raise self.unsupported('security', 'keys has no key for security, use_tls, use_ssl or server')
        if settings.security == 'starttls' and not (has('server') or has('security') or has('use_tls')):
            raise self.unsupported('security', 'starttls needs a key for security, use_tls or server')
        if settings.security == 'tls' and not (has('server') or has('security') or has('use_ssl')):
            raise self.unsupported('security', 'tls needs a key for security, use_ssl or server')
        if not settings.validate_certs and not (has('validate_certs') or has('skip_verify')):
            raise self.unsupported('validate_certs', 'keys has no key for validate_certs or skip_verify')
        if settings.auth and not (has('username') and has('password')):
            raise self.unsupported('username', 'keys needs keys for username and password')
        if not settings.auth and settings.username and not has('auth'):
            raise self.unsupported('auth', 'keys has no key for auth, so auth: false cannot be stored with a '
                                   'username')
        if settings.from_email is not None and not (has('from_email') or has('from')):
            raise self.unsupported('from_email', 'keys has no key for from_email or from')
        if settings.from_name is not None and not (has('from_name') or has('from')):
            raise self.unsupported('from_name', 'keys has no key for from_name or from')
        if len(settings.servers) > 1 and not has('server'):
            raise self.unsupported('server', 'several servers need a key for server')

    def owned(self):
        """The keys of the ``keys`` map: their names in their one section or hash (None: the top level)."""
        paths = [self.key_path(key) for key in self.keys.values()]
        containers = set(path[:-1] for path in paths)
        if len(containers) == 1 and len(next(iter(containers))) <= 1:
            container = next(iter(containers))
            return (container[0] if container else None), tuple(path[-1] for path in paths)
        return None, tuple(paths)

    def key_path(self, key):
        fmt = self.format
        if fmt == 'ini':
            if '.' in key:
                section, name = key.rsplit('.', 1)
                return (section, name)
            return (None, key)
        if fmt == 'env':
            return (key,)
        if fmt == 'php':
            parts = key.split('.')
            parts[0] = parts[0].lstrip('$')
            if len(parts) < 2:
                raise SettingsError('keys', 'keys: PHP key paths are var.key (e.g. CONFIG.mail_smtphost)')
            return tuple(parts)
        return tuple(key.split('.'))

    def secret_paths_for(self, store):
        if 'password' in self.keys:
            return [self.key_path(self.keys['password'])]
        return []

    # -- value spelling
    def typed(self):
        return self.format in ('json', 'yaml', 'php')

    def to_stored(self, setting, value):
        mapping = self.values_map.get(setting)
        if mapping:
            for model_value, stored_value in mapping.items():
                if str(model_value).lower() == str(value).lower():
                    return stored_value
        if isinstance(value, bool):
            if self.typed():
                return value
            return self.text_true if value else self.text_false
        if setting == 'port' and not self.typed():
            return str(value)
        return value

    def from_stored(self, setting, value):
        if value is None:
            return None
        mapping = self.values_map.get(setting)
        if mapping:
            for model_value, stored_value in mapping.items():
                if str(stored_value) == str(value):
                    value = model_value
                    break
        if setting in _BOOL_SETTINGS:
            return text_bool(value)
        if setting == 'port':
            return to_port(value)
        if value == '':
            return None
        return value if isinstance(value, str) else str(value)

    def _read(self, store, setting):
        if setting not in self.keys:
            return None
        return self.from_stored(setting, self.get(store, self.key_path(self.keys[setting])))

    def extract(self, store):
        from ansible_collections.mailops.smtp.plugins.module_utils._server import parse_servers
        get = self._read
        host = get(store, 'host')
        port = get(store, 'port')
        security = get(store, 'security')
        server = get(store, 'server')
        if server:
            try:
                spec = parse_servers(server)[0]
                host, port = host or spec.ascii_host, port or spec.port
                security = security or spec.security
            except SettingsError:
                host = host or server
        if not host:
            return None
        if security not in ('none', 'starttls', 'tls'):
            use_ssl, use_tls = get(store, 'use_ssl'), get(store, 'use_tls')
            if use_ssl:
                security = 'tls'
            elif use_tls:
                security = 'starttls'
            elif 'use_ssl' in self.keys or 'use_tls' in self.keys:
                security = 'none'  # absent flags are false (Django's defaults)
            else:
                security = None
        validate = get(store, 'validate_certs')
        if validate is None and 'skip_verify' in self.keys:
            skip = get(store, 'skip_verify')
            validate = None if skip is None else not skip
        username = get(store, 'username')
        auth = get(store, 'auth')
        if auth is None:
            auth = bool(username)
        from_name, from_email = get(store, 'from_name'), get(store, 'from_email')
        combined = get(store, 'from')
        if combined:
            name, address = parse_from(combined)
            from_name, from_email = from_name or name, from_email or address
        return stored_model(host=host, port=port, security=security,
                            validate_certs=True if validate is None else validate, auth=auth,
                            username=username, password=get(store, 'password'), from_email=from_email,
                            from_name=from_name)

    def _set(self, store, setting, value):
        if setting in self.keys:
            path = self.key_path(self.keys[setting])
            if setting in _DERIVED_FLAGS and value is False and self.get(store, path) is None:
                return  # a derived flag that is false by default is not added where it is absent
            self.put(store, path, self.to_stored(setting, value), option=setting)

    def apply(self, store, settings, stored, update_password):
        values = settings.values()
        values['password'] = keep_password(settings, stored, update_password)
        if not settings.auth:
            values['username'] = settings.username or ''
            values['password'] = ''
        values['skip_verify'] = not settings.validate_certs
        values['use_tls'] = settings.security == 'starttls'
        values['use_ssl'] = settings.security == 'tls'
        if settings.from_email is not None or settings.from_name is not None:
            address = settings.from_email or stored.get('from_email')
            name = settings.from_name if settings.from_name is not None else stored.get('from_name')
            if 'from' in self.keys and not address:
                raise self.unsupported('from_name', 'the sender name goes with the address in one key, which '
                                       'needs from_email too')
            values['from'] = format_from(name, address) if address else None
            if settings.from_name is None and values['from'] is not None and 'from' in self.keys \
                    and self.get(store, self.key_path(self.keys['from'])) != values['from']:
                check_sender_name(name, self.name, given=False)
        for setting in MAPPABLE:
            value = values.get(setting)
            if value is None:
                continue
            if setting == 'password' and not value and not settings.auth and setting in self.keys:
                self._set(store, setting, '')
                continue
            self._set(store, setting, value)

    def remove(self, store):
        for setting in self.keys:
            self.drop(store, self.key_path(self.keys[setting]))
