# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""msmtp: one account block of ``/etc/msmtprc`` or ``~/.msmtprc``, as msmtp 1.8 reads it.

The ``account`` option names the block (default ``default``); every other account, the ``defaults`` blocks
and all comments stay as they are. Reading follows msmtp: the account's own commands over the commands of the
accounts it inherits from (``account a : b``) over the ``defaults`` that precede it.

Written commands: ``host``, ``port``, ``tls`` (``off`` for security none), ``tls_starttls`` (``on`` STARTTLS,
``off`` implicit TLS), ``tls_certcheck``, ``tls_trust_file`` (``ca_path``; ``system`` when no ``ca_path`` is
given but the account names another file), ``auth`` (``on``/``off``; ``plain`` for security none, the mechanism
the test uses, since msmtp refuses PLAIN and LOGIN without TLS unless named), ``user``, ``password``, ``from``.
A ``passwordeval`` of the account goes when a password is written (msmtp would use the password anyway).
msmtp cannot store a sender name (``from_name``), a ``from`` that holds its substitution patterns (``%U``,
``%H``, ``%C``, ``%M``) or wildcard characters (``*``, ``?``, ``[``), or a line longer than 499 characters.

OAuth 2.0 (``oauth2``): ``auth xoauth2`` (or ``oauthbearer``) and ``passwordeval`` running the token helper the
module installs in ``<msmtprc>.oauth2/`` (a 0700 directory owned like the msmtprc): ``token_helper.py`` is
``_oauth2.py`` itself (standard library only), ``<account>.json`` (0600) holds the grant's settings and secrets,
and the helper caches the token in ``<account>.json.token`` (0600) until shortly before it expires. The
msmtprc holds no secret then. Those files are written before the msmtprc, and put back when its write fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import to_port
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model
from ansible_collections.mailops.smtp.plugins.module_utils.stores.msmtprc import MAX_LINE, encode_argument

DEFAULT_PATH = '/etc/msmtprc'
_LONGEST_COMMAND = len('tls_trust_file ')
_FROM_PATTERNS = re.compile(r'%[UHCM]|[*?\[]')
_ON = ('on', '')
OAUTH_AUTH = ('xoauth2', 'oauthbearer')
HELPER_NAME = 'token_helper.py'
OWNED = ('host', 'port', 'tls', 'tls_starttls', 'tls_nostarttls', 'tls_certcheck', 'tls_nocertcheck',
         'tls_trust_file', 'auth', 'user', 'password', 'passwordeval', 'from')


class MsmtpArgumentCodec(Codec):
    """msmtp's argument reading (``trim_string``): quoted when needed; refuses lines msmtp cannot read."""

    def encode(self, value, option='value', app='msmtp'):
        value = str(value)
        if len(encode_argument(value)) + _LONGEST_COMMAND > MAX_LINE:
            self.refuse(option, app, 'msmtp reads at most %d characters per line' % MAX_LINE)
        return value


class MsmtpFromCodec(MsmtpArgumentCodec):
    """``from``: msmtp substitutes %U/%H/%C/%M and treats * ? [ as a wildcard pattern."""

    def encode(self, value, option='from_email', app='msmtp'):
        if _FROM_PATTERNS.search(value):
            self.refuse(option, app, 'msmtp would expand %U/%H/%C/%M or read * ? [ as a wildcard pattern in from')
        return super().encode(value, option, app)


class MsmtpPathCodec(MsmtpArgumentCodec):
    """File names: msmtp replaces a leading ``~`` with $HOME."""

    def encode(self, value, option='ca_path', app='msmtp'):
        if value.startswith('~'):
            self.refuse(option, app, 'msmtp replaces a leading ~ with the home directory of whoever runs it')
        return super().encode(value, option, app)


def _on(value, default):
    if value is None:
        return default
    return value in _ON


class MsmtpProfile(FileProfile):
    """msmtp account block (msmtprc)."""

    name = 'msmtp'
    label = 'msmtp'
    settings_location = '`/etc/msmtprc` or `~/.msmtprc`, one `account` block'
    doc = (
        'the account O(account) of C(/etc/msmtprc) (the default O(path)) or C(~/.msmtprc) (C(host), C(port), '
        'C(tls), C(tls_starttls), C(tls_certcheck), C(tls_trust_file), C(auth), C(user), C(password), C(from)); '
        'other accounts, C(defaults) and comments are kept, inherited values are not repeated. No sender name; '
        "O(from_email) cannot hold msmtp's C(%U)/C(%H)/C(%C)/C(%M) patterns or C(*), C(?), C([)."
    )
    options = dict(account=dict(type='str', default='default', version_added='1.1.0', description=[
        'For O(app=msmtp), the name of the account block (C(account NAME)) to edit; it is appended when the file '
        'has no such account. Commands before the first C(account) line form the account V(default).',
        'With O(mailops.smtp.outgoing_server#module:state=absent) the whole account block goes (refused while '
        'another account inherits from it).',
    ]))
    # msmtp src/smtp.c, src/msmtp.c: tls_starttls on fails without STARTTLS; tls_trust_file replaces the
    # system store; "auth on" picks PLAIN first over TLS and refuses PLAIN/LOGIN without TLS unless named.
    connection = Connection(ca_key='tls_trust_file', ca_alone=True, mechanisms=('PLAIN', 'CRAM-MD5', 'LOGIN'),
                            plaintext_mechanisms=('PLAIN',),
                            senders=('From: the message\'s own header (from fills it when missing)',
                                     'envelope: from'))
    store_format = 'msmtprc'
    value_codec = MsmtpArgumentCodec()
    stores_oauth2 = True

    def __init__(self, module, params):
        super().__init__(module, params)
        self.path = params.get('path') or DEFAULT_PATH
        self.account = params.get('account') or 'default'
        self.secret_paths = ((self.account, 'password'),)
        self.codecs = {(self.account, 'from'): MsmtpFromCodec(),
                       (self.account, 'tls_trust_file'): MsmtpPathCodec()}
        self.oauth_dir = self.path + '.oauth2'
        self.oauth_config = os.path.join(self.oauth_dir, '%s.json' % self.account)
        self.helper = os.path.join(self.oauth_dir, HELPER_NAME)
        self._oauth_files = {}   # path -> text read by read() (None: missing)

    def check(self, settings, state):
        super().check(settings, state)
        account = self.account
        if any(char in account for char in ':,#"') or account != account.strip() or not account:
            raise SettingsError('account', 'account: an msmtp account name cannot be empty or hold : , # " '
                                'or edge blanks')
        if settings is not None and settings.from_name is not None:
            raise self.unsupported('from_name', 'msmtp has no sender-name setting (only the address in from)')

    def _path(self, command):
        return (self.account, command)

    def put(self, store, path, value, option=None):
        """Like FileProfile.put, but a value msmtp already uses (inherited from defaults or a parent
        account) is not repeated in the account's block."""
        values = store.effective(self.account)
        if values is not None and values.get(path[1]) == value:
            return
        super().put(store, path, value, option=option)

    def extract(self, store):
        values = store.effective(self.account)
        if not values or not values.get('host'):
            return None
        tls = _on(values.get('tls'), False)
        starttls = _on(values.get('tls_starttls'), True) and 'tls_nostarttls' not in values
        if not tls:
            security = 'none'
        else:
            security = 'starttls' if starttls else 'tls'
        port = to_port(values.get('port'))
        if port is None:
            port = 465 if security == 'tls' else 25  # msmtp's get_default_port()
        certcheck = _on(values.get('tls_certcheck'), True) and 'tls_nocertcheck' not in values
        auth = values.get('auth')
        model = stored_model(host=values['host'], port=port, security=security, validate_certs=certcheck,
                             auth=auth is not None and auth != 'off', username=values.get('user') or None,
                             password=values.get('password') or None, from_email=values.get('from') or None)
        if auth in OAUTH_AUTH:
            model['auth_method'] = 'oauth2'
        return model

    def apply(self, store, settings, stored, update_password):
        put, path = self.put, self._path
        put(store, path('host'), settings.host, option='server')
        put(store, path('port'), str(settings.port), option='port')
        put(store, path('tls'), 'off' if settings.security == 'none' else 'on', option='security')
        if settings.security != 'none':
            put(store, path('tls_starttls'), 'on' if settings.security == 'starttls' else 'off', option='security')
        self.drop(store, path('tls_nostarttls'))
        self.drop(store, path('tls_nocertcheck'))
        inherited = store.effective(self.account) or {}
        if settings.validate_certs:
            put(store, path('tls_certcheck'), 'on', option='validate_certs')
            if settings.ca_path:
                put(store, path('tls_trust_file'), settings.ca_path, option='ca_path')
            elif inherited.get('tls_trust_file') not in (None, 'system'):
                put(store, path('tls_trust_file'), 'system', option='ca_path')
        else:
            put(store, path('tls_certcheck'), 'off', option='validate_certs')
            if inherited.get('tls_trust_file'):
                put(store, path('tls_trust_file'), '', option='validate_certs')  # msmtp: no certcheck with a CA file
        if settings.oauth2:
            put(store, path('auth'), (settings.oauth2.get('mechanism') or 'xoauth2'), option='oauth2')
            put(store, path('user'), settings.username, option='username')
            self.drop(store, path('password'))
            put(store, path('passwordeval'), self.helper_command(), option='oauth2')
        elif settings.auth:
            # Without TLS msmtp's "auth on" refuses PLAIN and LOGIN ("cannot use a secure authentication
            # method"): name the mechanism the test uses over plain text, so msmtp logs in as tested.
            put(store, path('auth'), 'plain' if settings.security == 'none' else 'on', option='auth')
            put(store, path('user'), settings.username, option='username')
            put(store, path('password'), keep_password(settings, stored, update_password) or '', option='password')
            self.drop(store, path('passwordeval'))
        else:
            put(store, path('auth'), 'off', option='auth')
            for command in ('user', 'password', 'passwordeval'):
                self.drop(store, path(command))
        if settings.from_email is not None:
            put(store, path('from'), settings.from_email, option='from_email')

    def commit(self, plan):
        """The helper's files first (the msmtprc points at them), then the msmtprc; the old helper files are
        put back when writing the msmtprc fails."""
        files = plan.oauth_files
        if files:
            self._write_oauth_files(files)
        try:
            return super().commit(plan) if plan.msmtprc_changed else {}
        except (StoreError, OSError):
            if files:
                self._write_oauth_files(dict((path, self._oauth_files.get(path)) for path in files))
            raise

    def _write_oauth_files(self, files):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import _place
        try:
            owner = os.stat(self.path)
        except OSError:
            owner = None
        if any(text is not None for text in files.values()) and not os.path.isdir(self.oauth_dir):
            os.mkdir(self.oauth_dir, 0o700)
            if owner is not None:
                try:
                    os.chown(self.oauth_dir, owner.st_uid, owner.st_gid)
                except PermissionError:
                    pass
        for path, text in sorted(files.items()):
            if text is None:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                continue
            _place(self.module, path, text.encode('utf-8'), 0o600, owner, path)

    def owned(self):
        return None, (self.account,)   # the account block, every command in it

    def remove(self, store):
        for account in store.accounts():
            if self.account in store.parents(account):
                raise StoreError('account %s inherits from account %s, so it cannot be removed'
                                 % (account, self.account))
        store.delete_account(self.account)

    # -- OAuth 2.0: the token helper and its 0600 settings file ----------------------------------------------
    def helper_command(self):
        """The passwordeval command: this Python running the installed helper on the account's settings."""
        return ' '.join(shlex.quote(part) for part in (sys.executable, self.helper, self.oauth_config))

    def oauth_files(self, settings):
        """{path: text} the helper needs for ``settings`` (None: the file goes)."""
        if settings is None or not settings.oauth2:
            return {self.oauth_config: None, self.oauth_config + '.token': None}
        from ansible_collections.mailops.smtp.plugins.module_utils import _oauth2
        config = dict(oauth2=settings.oauth2, ca_path=settings.ca_path,
                      validate_certs=bool(settings.validate_certs), timeout=30)
        return {self.helper: _oauth2.helper_source(),
                self.oauth_config: json.dumps(config, indent=1, sort_keys=True) + '\n'}

    def read(self):
        snapshot = super().read()
        from ansible_collections.mailops.smtp.plugins.module_utils._files import read_text
        for path in (self.helper, self.oauth_config, self.oauth_config + '.token'):
            try:
                self._oauth_files[path] = read_text(path) if os.path.exists(self.oauth_dir) else None
            except StoreError:
                self._oauth_files[path] = None
        config = self._oauth_files.get(self.oauth_config)
        if config:
            try:
                stored = json.loads(config).get('oauth2') or {}
            except ValueError:
                stored = {}
            snapshot.secrets.extend(str(v) for k, v in stored.items()
                                    if v and k in ('access_token', 'client_secret', 'client_private_key',
                                                   'refresh_token', 'service_account_key'))
            if snapshot.stored is not None and snapshot.stored.get('auth_method') == 'oauth2' and stored:
                # what the helper logs in with: outgoing_server_info tests it (never returned: not a model key)
                snapshot.stored['oauth2'] = stored
        return snapshot

    def _masked_config(self, text):
        data = json.loads(text)
        for key in ('access_token', 'client_secret', 'client_private_key', 'refresh_token', 'service_account_key'):
            if data['oauth2'].get(key):
                data['oauth2'][key] = MASK
        return json.dumps(data, indent=1, sort_keys=True)

    def plan(self, snapshot, settings, state, update_password):
        plan = super().plan(snapshot, settings, state, update_password)
        plan.msmtprc_changed = plan.changed
        wanted = self.oauth_files(settings if state != 'absent' else None)
        have = self._oauth_files
        plan.oauth_files = dict((path, text) for path, text in wanted.items()
                                if text != have.get(path) and not (text is None and have.get(path) is None))
        if plan.oauth_files and self.oauth_config in plan.oauth_files:
            plan.changed = True
            if self._oauth_files.get(self.oauth_config + '.token') is not None:
                plan.oauth_files[self.oauth_config + '.token'] = None   # a token of the old settings
            text = plan.oauth_files[self.oauth_config]
            note = '\n# ---- %s (0600) ----\n%s\n' % (self.oauth_config,
                                                      self._masked_config(text) if text else '(removed)')
            msmtprc_after = plan._after   # the diff text may be made lazily (Plan): append the helper's file then

            def after():
                return ((msmtprc_after() if callable(msmtprc_after) else msmtprc_after) or '') + note
            plan._after = after
        elif plan.oauth_files and not plan.changed:
            plan.oauth_files.pop(self.oauth_config + '.token', None)   # a stale cache alone is no change
            plan.changed = bool(plan.oauth_files)
        if settings is not None and settings.oauth2 and plan.stored_after is not None:
            plan.stored_after = dict(plan.stored_after, auth_method='oauth2')
        if settings is not None and settings.auth and not settings.oauth2 and plan.changed:
            try:
                mode = os.stat(self.path).st_mode & 0o077 if snapshot.exists else 0
            except OSError:
                mode = 0
            if mode and not mode & 0o004:  # world-readable: _outgoing's own warning says it
                plan.warnings.append('%s holds a password and its group may read it; msmtp refuses such a user '
                                     "configuration file (~/.msmtprc): set mode: '0600'" % self.path)
        return plan
