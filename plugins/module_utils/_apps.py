# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""App profiles: where each application keeps its outgoing-server settings, in its own spelling.

One profile class per ``app`` value, registered in ``PROFILES``; ``get_profile(app)`` returns the class.

The profile interface (shared by the file profiles here and the database-backed coreBOS profile in
``_corebos.py``; ``_outgoing.run()`` drives it in this order and never touches a store itself)::

    class SomeProfile(AppProfile):
        name = 'someapp'                 # the ``app`` option value
        multiple_servers = False         # True when the app stores several ``;``-separated servers

        def __init__(self, module, params):
            # Keep the store options (path, format, keys, values, environment, login_*, create, backup...).
            # No I/O here.

        def check(self, settings, state):
            # Before any I/O: raise SettingsError(option, "<app> cannot store <setting> ...") for every
            # setting the app cannot store (naming the app AND the setting), and for store options that
            # are missing or contradict each other. Never drop a setting silently.

        def read(self):
            # Read the store; return a Snapshot. Raise StoreError (message names the store, never quotes a
            # secret) when it is unreadable or malformed. A missing file/row is not an error:
            # Snapshot(exists=False, stored=None).

        def plan(self, snapshot, settings, state, update_password):
            # Pure computation, no I/O: return a Plan saying what commit() would write. ``settings`` is a
            # _settings.Settings (its password already resolved by _outgoing for update_password:
            # on_create), or None for state=absent. Plan.changed is True only when the stored values
            # differ. Plan.before/Plan.after are the diff texts (or dicts) with every password MASKED.

        def commit(self, plan):
            # Write what plan() computed (only called when plan.changed and not in check mode).
            # Atomic; keeps mode/owner/SELinux context (files) or one transaction (database).
            # Return a dict of extra return values, e.g. {'backup_file': path}.

``Snapshot``: ``exists`` (the file/row exists), ``stored`` (UNMASKED model dict from
``_settings.stored_model()``, or None when nothing is configured), ``secrets`` (secrets read from the
store: _outgoing adds them to ``module.no_log_values``), ``handle`` (profile-private: text, parsed store,
row...).  ``Plan``: ``changed``, ``before``, ``after`` (masked diff material), ``before_header``,
``after_header``, ``stored_after`` (UNMASKED model dict after the write, or None), ``payload``
(profile-private), ``warnings`` (list of strings).

File profiles subclass ``FileProfile`` and only describe their mapping: ``store_format``, ``extract(store)``
(store -> model dict), ``apply(store, settings)`` (model -> store, via ``self.put``/``self.drop``),
``remove(store)`` and ``secret_paths``.
"""

from __future__ import annotations

__metaclass__ = type

import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._settings import MASK, stored_model


class Snapshot(object):
    """What ``AppProfile.read()`` found."""

    def __init__(self, exists, stored, secrets=(), handle=None):
        self.exists = exists
        self.stored = stored
        self.secrets = [secret for secret in secrets if secret]
        self.handle = handle


class Plan(object):
    """What ``AppProfile.commit()`` would do (computed without I/O)."""

    def __init__(self, changed, before=None, after=None, stored_after=None, payload=None,
                 before_header=None, after_header=None, warnings=None):
        self.changed = changed
        self.before = before
        self.after = after
        self.stored_after = stored_after
        self.payload = payload
        self.before_header = before_header
        self.after_header = after_header
        self.warnings = list(warnings or [])


class AppProfile(object):
    """Base class of every profile (see the module docstring for the interface)."""

    name = None
    multiple_servers = False

    def __init__(self, module, params):
        self.module = module
        self.params = params

    def unsupported(self, setting, why):
        return SettingsError(setting, '%s: %s cannot store this setting: %s' % (setting, self.name, why))

    def check(self, settings, state):
        if settings is not None and len(settings.servers) > 1 and not self.multiple_servers:
            raise self.unsupported('server', 'it takes one server, not several separated by ";"')

    def read(self):
        raise NotImplementedError

    def plan(self, snapshot, settings, state, update_password):
        raise NotImplementedError

    def commit(self, plan):
        raise NotImplementedError


# --------------------------------------------------------------------------- value helpers

_TRUE = ('true', 'yes', 'on', '1')


def text_bool(value, default=None):
    """A stored boolean (bool, int or string) as a Python bool; ``default`` when unset."""
    if value is None or value == '':
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in _TRUE


def php_truthy(value):
    """PHP's truthiness (the string 'false' is true, '0' and '' are false)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value not in ('', '0')
    return bool(value)


def to_port(value):
    if value is None or value == '':
        return None
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def split_host_port(text):
    """``host:port`` / ``[v6]:port`` / ``host`` -> (host, port or None)."""
    if not text:
        return None, None
    text = str(text).strip()
    if text.startswith('['):
        end = text.find(']')
        if end > 0:
            host = text[1:end]
            rest = text[end + 1:]
            return host, to_port(rest[1:]) if rest.startswith(':') else None
    if text.count(':') == 1:
        host, port = text.split(':', 1)
        return host, to_port(port)
    return text, None


def join_host_port(host, port):
    if ':' in host:
        return '[%s]:%d' % (host, port)
    return '%s:%d' % (host, port)


_PLAIN_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def format_from(name, address):
    """RFC 5322 ``"Name" <addr>`` (or just ``addr``)."""
    if not name:
        return address
    if _PLAIN_NAME_RE.match(name):
        return '%s <%s>' % (name, address)
    return '"%s" <%s>' % (name.replace('\\', '\\\\').replace('"', '\\"'), address)


_FROM_RE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^<>]+)>\s*$')


def parse_from(text):
    """``"Name" <addr>``, ``Name <addr>`` or ``addr`` -> (name or None, address or None)."""
    if not text:
        return None, None
    match = _FROM_RE.match(text)
    if not match:
        return None, text.strip() or None
    if match.group(1) is not None:
        name = re.sub(r'\\(.)', r'\1', match.group(1))
    else:
        name = match.group(2).strip()
    return name or None, match.group(3).strip()


# --------------------------------------------------------------------------- stores


def store_class(fmt):
    """The store class for a format (imported here, statically, so Ansible ships it with the module)."""
    if fmt == 'ini':
        from ansible_collections.mailops.smtp.plugins.module_utils._store_ini import IniStore
        return IniStore
    if fmt == 'json':
        from ansible_collections.mailops.smtp.plugins.module_utils._store_json import JsonStore
        return JsonStore
    if fmt == 'yaml':
        from ansible_collections.mailops.smtp.plugins.module_utils._store_yaml import YamlStore
        return YamlStore
    if fmt == 'env':
        from ansible_collections.mailops.smtp.plugins.module_utils._store_env import EnvStore
        return EnvStore
    if fmt == 'php':
        from ansible_collections.mailops.smtp.plugins.module_utils._store_php import PhpStore
        return PhpStore
    raise SettingsError('format', 'format: %r is not one of ini, json, yaml, env, php' % (fmt,))


def store_get(store, path):
    try:
        return store.get(tuple(path))
    except (KeyError, IndexError, TypeError):
        return None


class FileProfile(AppProfile):
    """A profile whose settings live in one file, edited surgically through a store."""

    store_format = None
    secret_paths = ()
    store_options = {}

    def __init__(self, module, params):
        super(FileProfile, self).__init__(module, params)
        self.path = params.get('path')
        self._parsed = {}

    def check(self, settings, state):
        super(FileProfile, self).check(settings, state)
        if not self.path:
            raise SettingsError('path', 'path: app=%s needs the path of its configuration file' % self.name)

    def fmt(self):
        return self.store_format

    def parse(self, text):
        return store_class(self.fmt()).parse(text, **self.store_options)

    def _keep(self, text, store):
        """Remember an unmodified ``store`` parsed from ``text`` so that one later ``_take(text)`` reuses it."""
        self._parsed[text] = store

    def _take(self, text):
        """A store parsed from ``text`` that nobody else holds: a kept one (used once), else a fresh parse."""
        store = self._parsed.pop(text, None)
        return store if store is not None else self.parse(text)

    # -- reading
    def read(self):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import read_text
        text = read_text(self.path)
        if text is None:
            return Snapshot(False, None, handle=None)
        try:
            store = self.parse(text)
            stored = self.extract(store)
        except StoreError as exc:
            raise StoreError('%s: cannot parse %s as %s: %s' % (self.name, self.path, self.fmt(), exc)) from None
        secrets = []
        for path in self.secret_paths_for(store):
            value = store_get(store, path)
            if isinstance(value, str) and value:
                secrets.append(value)
        self._keep(text, store)  # read-only use so far: plan() or masked() takes it instead of parsing again
        return Snapshot(True, stored, secrets=secrets, handle=text)

    # -- planning
    def plan(self, snapshot, settings, state, update_password):
        old_text = snapshot.handle if snapshot.exists else ''
        store = self._take(old_text)
        self._changes = []
        if state == 'absent':
            if snapshot.exists:
                self.remove(store)
        else:
            self.apply(store, settings, snapshot.stored or {}, update_password)
        new_text = store.render()
        del store  # at most two parsed documents alive at a time (peak memory on large files)
        changed = (new_text != old_text) or (state != 'absent' and not snapshot.exists)
        if not snapshot.exists and state == 'absent':
            changed = False
            new_text = old_text
        if state != 'absent' and not changed:
            stored_after = snapshot.stored
        else:
            after_store = self.parse(new_text)
            stored_after = self.extract(after_store)
            self._keep(new_text, after_store)  # only read by extract(): masked(new_text) below takes it
        secrets = list(snapshot.secrets)
        if settings is not None and settings.password:
            secrets.append(settings.password)
        # "after" first: it takes (and frees) the store kept above before "before" parses the old text again
        after = self.masked(new_text, secrets) if (changed or snapshot.exists) else ''
        before = self.masked(old_text, secrets) if snapshot.exists else ''
        self._parsed.clear()
        return Plan(changed, before=before, after=after, stored_after=stored_after, payload=new_text,
                    before_header='%s (before)' % self.path if snapshot.exists else '%s (absent)' % self.path,
                    after_header='%s (after)' % self.path)

    def masked(self, text, secrets):
        """``text`` with every password replaced by ``********`` (through the store, then literally)."""
        if not text:
            return text
        store = self._take(text)
        for path in self.secret_paths_for(store):
            value = store_get(store, path)
            if value:
                store.set(tuple(path), MASK)
        result = store.render()
        for secret in sorted(set(s for s in secrets if s and len(s) > 0), key=len, reverse=True):
            result = result.replace(secret, MASK)
        return result

    def secret_paths_for(self, store):
        return list(self.secret_paths)

    # -- writing
    def commit(self, plan):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import write_text
        return write_text(self.module, self.path, plan.payload, backup=bool(self.params.get('backup')))

    # -- mapping helpers used by subclasses
    def put(self, store, path, value):
        """Set ``path`` to ``value`` unless it already holds that value (so unchanged files stay byte-identical)."""
        current = store_get(store, path)
        if current == value and type(current) is type(value):
            return
        store.set(tuple(path), value)

    def drop(self, store, path):
        if store_get(store, path) is not None:
            store.delete(tuple(path))

    # -- to implement
    def extract(self, store):
        raise NotImplementedError

    def apply(self, store, settings, stored, update_password):
        raise NotImplementedError

    def remove(self, store):
        raise NotImplementedError

    # -- shared checks
    def require_one_of_auth_user(self, settings):
        """For apps that authenticate exactly when a user name is set."""
        if settings.username and not settings.auth:
            raise self.unsupported('auth', 'it authenticates whenever a user name is set, so auth: false '
                                   'cannot be stored with a username')


KEEP_STORED = ('on_create',)


def keep_password(settings, stored, update_password):
    """The password to write: the new one, or the stored one for update_password=on_create."""
    if update_password in KEEP_STORED and stored.get('password'):
        return stored.get('password')
    return settings.password


# --------------------------------------------------------------------------- Grafana

GRAFANA_POLICY = {'starttls': 'MandatoryStartTLS', 'none': 'NoStartTLS'}


class GrafanaProfile(FileProfile):
    """Grafana ``[smtp]`` in grafana.ini / custom.ini (go-ini)."""

    name = 'grafana'
    store_format = 'ini'
    section = 'smtp'
    secret_paths = (('smtp', 'password'),)
    owned = ('enabled', 'host', 'user', 'password', 'skip_verify', 'from_address', 'from_name', 'startTLS_policy')

    def check(self, settings, state):
        super(GrafanaProfile, self).check(settings, state)
        if settings is None:
            return
        self.require_one_of_auth_user(settings)
        if settings.security == 'tls' and settings.port != 465:
            raise self.unsupported('security', 'Grafana does implicit TLS on port 465 only, not on port %d'
                                   % settings.port)
        if settings.port == 465 and settings.security != 'tls':
            raise self.unsupported('security', 'Grafana always uses implicit TLS on port 465, so security: %s '
                                   'is not possible there' % settings.security)

    def _get(self, store, key):
        return store_get(store, (self.section, key))

    def extract(self, store):
        host_port = self._get(store, 'host')
        if host_port is None:
            return None
        host, port = split_host_port(host_port)
        policy = self._get(store, 'startTLS_policy') or ''
        if port == 465:
            security = 'tls'
        elif policy == 'NoStartTLS':
            security = 'none'
        else:
            security = 'starttls'
        user = self._get(store, 'user') or None
        return stored_model(host=host, port=port if port is not None else 25, security=security,
                            validate_certs=not text_bool(self._get(store, 'skip_verify'), False),
                            auth=bool(user), username=user, password=self._get(store, 'password') or None,
                            from_email=self._get(store, 'from_address') or None,
                            from_name=self._get(store, 'from_name') or None)

    def apply(self, store, settings, stored, update_password):
        section = self.section
        self.put(store, (section, 'enabled'), 'true')
        self.put(store, (section, 'host'), join_host_port(settings.host, settings.port))
        if settings.auth:
            self.put(store, (section, 'user'), settings.username)
            self.put(store, (section, 'password'), keep_password(settings, stored, update_password) or '')
        else:
            self.put(store, (section, 'user'), '')
            self.put(store, (section, 'password'), '')
        self.put(store, (section, 'skip_verify'), 'false' if settings.validate_certs else 'true')
        if settings.from_email is not None:
            self.put(store, (section, 'from_address'), settings.from_email)
        if settings.from_name is not None:
            self.put(store, (section, 'from_name'), settings.from_name)
        if settings.security in GRAFANA_POLICY:
            self.put(store, (section, 'startTLS_policy'), GRAFANA_POLICY[settings.security])

    def remove(self, store):
        for key in self.owned:
            self.drop(store, (self.section, key))


# --------------------------------------------------------------------------- Gitea / Forgejo

GITEA_PROTOCOL = {'none': 'smtp', 'starttls': 'smtp+starttls', 'tls': 'smtps'}
GITEA_LEGACY = ('HOST', 'IS_TLS_ENABLED', 'SKIP_VERIFY', 'MAILER_TYPE')


class GiteaProfile(FileProfile):
    """Gitea / Forgejo ``[mailer]`` in app.ini (new-style keys; legacy keys removed)."""

    name = 'gitea'
    store_format = 'ini'
    section = 'mailer'
    secret_paths = (('mailer', 'PASSWD'),)
    owned = ('ENABLED', 'PROTOCOL', 'SMTP_ADDR', 'SMTP_PORT', 'USER', 'PASSWD', 'FORCE_TRUST_SERVER_CERT',
             'FROM') + GITEA_LEGACY

    def check(self, settings, state):
        super(GiteaProfile, self).check(settings, state)
        if settings is not None:
            self.require_one_of_auth_user(settings)

    def _get(self, store, key):
        return store_get(store, (self.section, key))

    def extract(self, store):
        host = self._get(store, 'SMTP_ADDR')
        port = to_port(self._get(store, 'SMTP_PORT'))
        if not host:
            legacy = self._get(store, 'HOST')
            if not legacy:
                return None
            host, port = split_host_port(legacy)
        protocol = (self._get(store, 'PROTOCOL') or '').lower()
        if protocol == 'smtps':
            security = 'tls'
        elif protocol == 'smtp+starttls':
            security = 'starttls'
        elif protocol == 'smtp':
            security = 'none'
        else:
            security = 'tls' if port == 465 else 'starttls'
        trust = self._get(store, 'FORCE_TRUST_SERVER_CERT')
        if trust is None:
            trust = self._get(store, 'SKIP_VERIFY')
        user = self._get(store, 'USER') or None
        from_name, from_email = parse_from(self._get(store, 'FROM'))
        return stored_model(host=host, port=port, security=security,
                            validate_certs=not text_bool(trust, False), auth=bool(user), username=user,
                            password=self._get(store, 'PASSWD') or None, from_email=from_email,
                            from_name=from_name)

    def apply(self, store, settings, stored, update_password):
        section = self.section
        self.put(store, (section, 'ENABLED'), 'true')
        self.put(store, (section, 'PROTOCOL'), GITEA_PROTOCOL[settings.security])
        self.put(store, (section, 'SMTP_ADDR'), settings.host)
        self.put(store, (section, 'SMTP_PORT'), str(settings.port))
        if settings.auth:
            self.put(store, (section, 'USER'), settings.username)
            self.put(store, (section, 'PASSWD'), keep_password(settings, stored, update_password) or '')
        else:
            self.put(store, (section, 'USER'), '')
            self.put(store, (section, 'PASSWD'), '')
        self.put(store, (section, 'FORCE_TRUST_SERVER_CERT'), 'false' if settings.validate_certs else 'true')
        if settings.from_email is not None or settings.from_name is not None:
            address = settings.from_email or stored.get('from_email')
            if not address:
                raise self.unsupported('from_name', 'Gitea keeps the sender name inside FROM, which needs '
                                       'from_email too')
            name = settings.from_name if settings.from_name is not None else stored.get('from_name')
            self.put(store, (section, 'FROM'), format_from(name, address))
        for key in GITEA_LEGACY:
            self.drop(store, (section, key))

    def remove(self, store):
        for key in self.owned:
            self.drop(store, (self.section, key))


# --------------------------------------------------------------------------- Nextcloud

NC_VAR = 'CONFIG'
NC_NO_VERIFY = {'ssl': {'verify_peer': False, 'verify_peer_name': False, 'allow_self_signed': True}}


class NextcloudProfile(FileProfile):
    """Nextcloud ``config/config.php`` ``$CONFIG`` array (PHP types)."""

    name = 'nextcloud'
    store_format = 'php'
    secret_paths = ((NC_VAR, 'mail_smtppassword'),)
    owned = ('mail_smtpmode', 'mail_smtphost', 'mail_smtpport', 'mail_smtpsecure', 'mail_smtpauth',
             'mail_smtpname', 'mail_smtppassword', 'mail_from_address', 'mail_domain', 'mail_smtpstreamoptions')

    def check(self, settings, state):
        super(NextcloudProfile, self).check(settings, state)
        if settings is None:
            return
        if settings.security == 'none':
            raise self.unsupported('security', 'Nextcloud always uses STARTTLS when the server offers it '
                                   '(it cannot be turned off since Nextcloud 26); use starttls or tls')
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Nextcloud has no sender-name setting (it uses the instance name)')

    def _get(self, store, key):
        return store_get(store, (NC_VAR, key))

    def extract(self, store):
        host = self._get(store, 'mail_smtphost')
        if host is None:
            return None
        port = to_port(self._get(store, 'mail_smtpport'))
        secure = self._get(store, 'mail_smtpsecure') or ''
        security = 'tls' if secure == 'ssl' else 'starttls'
        options = self._get(store, 'mail_smtpstreamoptions')
        validate = True
        if isinstance(options, dict) and isinstance(options.get('ssl'), dict):
            if options['ssl'].get('verify_peer') is False or options['ssl'].get('verify_peer_name') is False:
                validate = False
        auth = php_truthy(self._get(store, 'mail_smtpauth'))
        local = self._get(store, 'mail_from_address')
        domain = self._get(store, 'mail_domain')
        from_email = '%s@%s' % (local, domain) if local and domain else None
        return stored_model(host=str(host), port=port if port is not None else 25, security=security,
                            validate_certs=validate, auth=auth, username=self._get(store, 'mail_smtpname') or None,
                            password=self._get(store, 'mail_smtppassword') or None, from_email=from_email)

    def apply(self, store, settings, stored, update_password):
        self.put(store, (NC_VAR, 'mail_smtpmode'), 'smtp')
        self.put(store, (NC_VAR, 'mail_smtphost'), settings.host)
        self.put(store, (NC_VAR, 'mail_smtpport'), settings.port)
        self.put(store, (NC_VAR, 'mail_smtpsecure'), 'ssl' if settings.security == 'tls' else '')
        self.put(store, (NC_VAR, 'mail_smtpauth'), bool(settings.auth))
        if settings.auth:
            self.put(store, (NC_VAR, 'mail_smtpname'), settings.username)
            self.put(store, (NC_VAR, 'mail_smtppassword'), keep_password(settings, stored, update_password) or '')
        else:
            self.put(store, (NC_VAR, 'mail_smtpname'), '')
            self.put(store, (NC_VAR, 'mail_smtppassword'), '')
        if settings.from_email is not None:
            local, _sep, domain = settings.from_email.rpartition('@')
            self.put(store, (NC_VAR, 'mail_from_address'), local)
            self.put(store, (NC_VAR, 'mail_domain'), domain)
        options = self._get(store, 'mail_smtpstreamoptions')
        if not settings.validate_certs:
            if not (isinstance(options, dict) and options.get('ssl') == NC_NO_VERIFY['ssl']):
                self.put(store, (NC_VAR, 'mail_smtpstreamoptions'), NC_NO_VERIFY)
        elif isinstance(options, dict) and isinstance(options.get('ssl'), dict):
            ssl_options = options['ssl']
            if any(ssl_options.get(key) is NC_NO_VERIFY['ssl'][key] for key in ('verify_peer', 'verify_peer_name')):
                self.drop(store, (NC_VAR, 'mail_smtpstreamoptions'))

    def remove(self, store):
        for key in self.owned:
            self.drop(store, (NC_VAR, key))


# --------------------------------------------------------------------------- Mattermost

MM = 'EmailSettings'
MM_SECURITY = {'none': '', 'starttls': 'STARTTLS', 'tls': 'TLS'}


class MattermostProfile(FileProfile):
    """Mattermost ``config.json`` ``EmailSettings`` (SMTPPort is a JSON string)."""

    name = 'mattermost'
    store_format = 'json'
    secret_paths = ((MM, 'SMTPPassword'),)
    owned = ('SMTPServer', 'SMTPPort', 'ConnectionSecurity', 'EnableSMTPAuth', 'SMTPUsername', 'SMTPPassword',
             'SkipServerCertificateVerification', 'FeedbackEmail', 'FeedbackName')

    def _get(self, store, key):
        return store_get(store, (MM, key))

    def extract(self, store):
        host = self._get(store, 'SMTPServer')
        if not host:
            return None
        port = to_port(self._get(store, 'SMTPPort'))
        security = {'TLS': 'tls', 'STARTTLS': 'starttls'}.get(self._get(store, 'ConnectionSecurity') or '', 'none')
        user = self._get(store, 'SMTPUsername') or None
        auth = self._get(store, 'EnableSMTPAuth')
        return stored_model(host=host, port=port, security=security,
                            validate_certs=not text_bool(self._get(store, 'SkipServerCertificateVerification'),
                                                         False),
                            auth=text_bool(auth, bool(user)), username=user,
                            password=self._get(store, 'SMTPPassword') or None,
                            from_email=self._get(store, 'FeedbackEmail') or None,
                            from_name=self._get(store, 'FeedbackName') or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, (MM, 'SMTPServer'), settings.host)
        self.put(store, (MM, 'SMTPPort'), str(settings.port))
        self.put(store, (MM, 'ConnectionSecurity'), MM_SECURITY[settings.security])
        self.put(store, (MM, 'EnableSMTPAuth'), bool(settings.auth))
        if settings.auth:
            self.put(store, (MM, 'SMTPUsername'), settings.username)
            self.put(store, (MM, 'SMTPPassword'), keep_password(settings, stored, update_password) or '')
        else:
            self.put(store, (MM, 'SMTPUsername'), settings.username or '')
            self.put(store, (MM, 'SMTPPassword'), '')
        self.put(store, (MM, 'SkipServerCertificateVerification'), not settings.validate_certs)
        if settings.from_email is not None:
            self.put(store, (MM, 'FeedbackEmail'), settings.from_email)
        if settings.from_name is not None:
            self.put(store, (MM, 'FeedbackName'), settings.from_name)

    def remove(self, store):
        for key in ('SMTPServer', 'SMTPPort', 'SMTPUsername', 'SMTPPassword'):
            if store_get(store, (MM, key)) is not None:
                self.put(store, (MM, key), '')
        self.drop(store, (MM, 'EnableSMTPAuth'))


# --------------------------------------------------------------------------- Redmine

REDMINE_AUTH = (':login', ':plain', ':cram_md5')


class RedmineProfile(FileProfile):
    """Redmine ``config/configuration.yml``, ``<environment>.email_delivery`` (Ruby symbols kept)."""

    name = 'redmine'
    store_format = 'yaml'

    def __init__(self, module, params):
        super(RedmineProfile, self).__init__(module, params)
        self.environment = params.get('environment') or 'default'

    def _p(self, key=None):
        base = (self.environment, 'email_delivery')
        if key is None:
            return base
        return base + ('smtp_settings', key)

    def secret_paths_for(self, store):
        return [self._p('password')]

    def check(self, settings, state):
        super(RedmineProfile, self).check(settings, state)
        if settings is None:
            return
        if settings.from_email is not None:
            raise self.unsupported('from_email', 'Redmine keeps the sender address in its database setting '
                                   'mail_from (Administration > Settings > Email notifications), not in '
                                   'configuration.yml')
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Redmine has no sender-name setting in configuration.yml')

    def extract(self, store):
        host = store_get(store, self._p('address'))
        if host is None:
            return None
        ssl = text_bool(store_get(store, self._p('ssl')), False) or text_bool(store_get(store, self._p('tls')), False)
        starttls = text_bool(store_get(store, self._p('enable_starttls_auto')), True)
        security = 'tls' if ssl else ('starttls' if starttls else 'none')
        verify = store_get(store, self._p('openssl_verify_mode'))
        authentication = store_get(store, self._p('authentication'))
        user = store_get(store, self._p('user_name')) or None
        return stored_model(host=str(host), port=to_port(store_get(store, self._p('port'))) or 25,
                            security=security,
                            validate_certs=str(verify).lower().lstrip(':') != 'none' if verify else True,
                            auth=bool(authentication) and bool(user), username=user,
                            password=store_get(store, self._p('password')) or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, self._p() + ('delivery_method',), ':smtp')
        self.put(store, self._p('address'), settings.host)
        self.put(store, self._p('port'), settings.port)
        if settings.auth:
            current = store_get(store, self._p('authentication'))
            if current not in REDMINE_AUTH:
                self.put(store, self._p('authentication'), ':login')
            self.put(store, self._p('user_name'), settings.username)
            self.put(store, self._p('password'), keep_password(settings, stored, update_password) or '')
        else:
            for key in ('authentication', 'user_name', 'password'):
                self.drop(store, self._p(key))
        if settings.security == 'tls':
            self.put(store, self._p('ssl'), True)
            self.drop(store, self._p('tls'))
            self.put(store, self._p('enable_starttls_auto'), False)
        else:
            self.drop(store, self._p('ssl'))
            self.drop(store, self._p('tls'))
            self.put(store, self._p('enable_starttls_auto'), settings.security == 'starttls')
        if settings.validate_certs:
            self.drop(store, self._p('openssl_verify_mode'))
        else:
            self.put(store, self._p('openssl_verify_mode'), 'none')

    def remove(self, store):
        for key in ('address', 'port', 'authentication', 'user_name', 'password', 'enable_starttls_auto', 'ssl',
                    'tls', 'openssl_verify_mode'):
            self.drop(store, self._p(key))


# --------------------------------------------------------------------------- Discourse

DISCOURSE = 'DISCOURSE_SMTP_'


class DiscourseProfile(FileProfile):
    """Discourse ``containers/app.yml`` ``env:`` (DISCOURSE_SMTP_* strings)."""

    name = 'discourse'
    store_format = 'yaml'
    secret_paths = (('env', DISCOURSE + 'PASSWORD'),)

    def _p(self, suffix):
        return ('env', suffix if suffix.startswith('DISCOURSE_') else DISCOURSE + suffix)

    def put(self, store, path, value):
        """Discourse hands every env value to the container as a string: ``587`` and ``"587"`` are equal."""
        current = store_get(store, path)
        if current is not None and not isinstance(current, (dict, list)):
            shown = str(current).lower() if isinstance(current, bool) else str(current)
            if shown == value:
                return
        store.set(tuple(path), value)

    def check(self, settings, state):
        super(DiscourseProfile, self).check(settings, state)
        if settings is None:
            return
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Discourse takes the sender name from its site settings, not '
                                   'from app.yml')
        self.require_one_of_auth_user(settings)

    def extract(self, store):
        host = store_get(store, self._p('ADDRESS'))
        if not host:
            return None
        port = to_port(store_get(store, self._p('PORT')))
        force_tls = text_bool(store_get(store, self._p('FORCE_TLS')), False)
        starttls = text_bool(store_get(store, self._p('ENABLE_START_TLS')), True)
        security = 'tls' if force_tls else ('starttls' if starttls else 'none')
        user = store_get(store, self._p('USER_NAME')) or None
        verify = store_get(store, self._p('OPENSSL_VERIFY_MODE'))
        return stored_model(host=str(host), port=port if port is not None else 25, security=security,
                            validate_certs=str(verify).lower() != 'none' if verify else True,
                            auth=bool(user), username=user,
                            password=store_get(store, self._p('PASSWORD')) or None,
                            from_email=store_get(store, self._p('DISCOURSE_NOTIFICATION_EMAIL')) or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, self._p('ADDRESS'), settings.host)
        self.put(store, self._p('PORT'), str(settings.port))
        if settings.auth:
            self.put(store, self._p('USER_NAME'), settings.username)
            self.put(store, self._p('PASSWORD'), keep_password(settings, stored, update_password) or '')
        else:
            self.drop(store, self._p('USER_NAME'))
            self.drop(store, self._p('PASSWORD'))
        if settings.security != 'starttls' or store_get(store, self._p('ENABLE_START_TLS')) is not None:
            # Discourse's default is true: only written when it must be false or is already there.
            self.put(store, self._p('ENABLE_START_TLS'), 'true' if settings.security == 'starttls' else 'false')
        if settings.security == 'tls':
            self.put(store, self._p('FORCE_TLS'), 'true')
        else:
            self.drop(store, self._p('FORCE_TLS'))
        if settings.validate_certs:
            self.drop(store, self._p('OPENSSL_VERIFY_MODE'))
        else:
            self.put(store, self._p('OPENSSL_VERIFY_MODE'), 'none')
        if settings.from_email is not None:
            self.put(store, self._p('DISCOURSE_NOTIFICATION_EMAIL'), settings.from_email)

    def remove(self, store):
        for suffix in ('ADDRESS', 'PORT', 'USER_NAME', 'PASSWORD', 'ENABLE_START_TLS', 'FORCE_TLS',
                       'OPENSSL_VERIFY_MODE'):
            self.drop(store, self._p(suffix))


# --------------------------------------------------------------------------- key-mapped files (generic, dotenv)

# Settings a ``keys`` map may name: the model's settings plus a few derived ones many apps use.
MAPPABLE = ('server', 'host', 'port', 'security', 'validate_certs', 'skip_verify', 'auth', 'username', 'password',
            'from_email', 'from_name', 'from', 'use_tls', 'use_ssl')

DJANGO_KEYS = {
    'host': 'EMAIL_HOST',
    'port': 'EMAIL_PORT',
    'username': 'EMAIL_HOST_USER',
    'password': 'EMAIL_HOST_PASSWORD',
    'use_tls': 'EMAIL_USE_TLS',
    'use_ssl': 'EMAIL_USE_SSL',
    'from': 'DEFAULT_FROM_EMAIL',
}

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
    default_keys = None
    text_true = 'true'
    text_false = 'false'

    def __init__(self, module, params):
        super(MappedProfile, self).__init__(module, params)
        self.format = params.get('format')
        keys = params.get('keys')
        if not keys and self.default_keys is not None:
            keys = dict(self.default_keys)
        self.keys = dict(keys or {})
        self.values_map = dict(params.get('values') or {})

    def fmt(self):
        return self.format

    def check(self, settings, state):
        super(MappedProfile, self).check(settings, state)
        if self.format not in ('ini', 'json', 'yaml', 'env', 'php'):
            raise SettingsError('format', 'format: app=%s needs format, one of ini, json, yaml, env, php'
                                % self.name)
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

    def encode(self, setting, value):
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

    def decode(self, setting, value):
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
        return self.decode(setting, store_get(store, self.key_path(self.keys[setting])))

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
            if setting in _DERIVED_FLAGS and value is False and store_get(store, path) is None:
                return  # a derived flag that is false by default is not added where it is absent
            self.put(store, self.key_path(self.keys[setting]), self.encode(setting, value))

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


class GenericProfile(MappedProfile):
    name = 'generic'


class DotenvProfile(MappedProfile):
    """``KEY=value`` files; Django key names and ``True``/``False`` unless ``keys``/``values`` say otherwise."""

    name = 'dotenv'
    default_keys = DJANGO_KEYS
    text_true = 'True'
    text_false = 'False'

    def __init__(self, module, params):
        params = dict(params)
        if params.get('format') not in (None, 'env'):
            raise SettingsError('format', 'format: app=dotenv is always format env')
        params['format'] = 'env'
        super(DotenvProfile, self).__init__(module, params)


PROFILES = {
    'grafana': GrafanaProfile,
    'gitea': GiteaProfile,
    'nextcloud': NextcloudProfile,
    'mattermost': MattermostProfile,
    'redmine': RedmineProfile,
    'discourse': DiscourseProfile,
    'dotenv': DotenvProfile,
    'generic': GenericProfile,
}

APPS = ('corebos',) + tuple(sorted(PROFILES))


def get_profile(app):
    """The profile class for ``app`` (coreBOS comes from ``_corebos.py``)."""
    if app == 'corebos':
        from ansible_collections.mailops.smtp.plugins.module_utils._corebos import CorebosProfile
        return CorebosProfile
    try:
        return PROFILES[app]
    except KeyError:
        raise SettingsError('app', 'app: %r is not one of %s' % (app, ', '.join(APPS))) from None
