# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Postfix as a relay client: ``main.cf`` plus the SASL password map, as Postfix itself reads them.

``path`` is ``main.cf`` (default ``/etc/postfix/main.cf``); its directory is the Postfix configuration
directory (``postconf -c``/``postmap -c``). Written parameters (every other line stays byte-for-byte):

- ``relayhost = [host]:port`` (brackets: no MX lookup, the host that was tested is the host Postfix uses);
- ``smtp_tls_security_level``: ``none`` (security none), ``encrypt`` (TLS, validate_certs false), ``verify``
  (TLS with the certificate checked against the relay's name); ``smtp_tls_wrappermode = yes`` for implicit
  TLS (removed otherwise); ``smtp_tls_CAfile = ca_path``; with validate_certs and no ca_path, an unset or empty
  ``smtp_tls_CApath`` becomes ``/etc/ssl/certs`` (Postfix trusts no CA by default);
- with auth: ``smtp_sasl_auth_enable = yes``, ``smtp_sasl_security_options = noanonymous`` (the default,
  ``noplaintext``, forbids PLAIN and LOGIN over any connection), ``smtp_sasl_password_maps = TYPE:FILE`` and,
  in FILE, the line ``[host]:port username:password``; then ``postmap TYPE:FILE``. The map is the one
  ``smtp_sasl_password_maps`` already names when it is one file of a type postmap compiles, else
  ``sasl_passwd`` in the configuration directory with ``postconf -h default_database_type``. A new map file is
  created 0600; the compiled ``.db``/``.lmdb`` always gets the map's mode and owner. The entry of the previous
  relay is removed from the map after main.cf points at the new one. All of it is one transaction
  (``commit()``): postmap compiles a temp copy before any rename, and a failed rename puts every file back.
  Without auth: ``smtp_sasl_auth_enable = no`` and the relay's map entry goes;
- ``from_email``: ``sender_canonical_maps = static:ADDRESS``: Postfix rewrites EVERY sender address, the
  envelope sender and the From/Sender/Resent-* headers (``sender_canonical_classes``), to ADDRESS: the
  relay sees only the address it allows. A ``sender_canonical_maps`` that is something else than a
  ``static:`` map is not replaced: the module refuses.

Values are written as literals (``$`` doubled, as Postfix's ``$name`` expansion requires). What Postfix cannot
store: a sender name (``from_name``), several servers, a password with trailing whitespace or a user name with
``:`` or leading whitespace (the map's ``user:password`` format), a path or address with whitespace or ``,``.
Reading uses Postfix's own tools on the host: ``postconf -xh`` for values with ``$`` references,
``postmap -q`` for the credentials Postfix actually reads from the compiled map (a map whose compiled file
disagrees with its source is drift: postmap runs again).
"""

from __future__ import annotations

import os
import re

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError, StoreError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import (
    FileProfile,
    Plan,
    Snapshot,
    keep_password,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._codec import Codec
from ansible_collections.mailops.smtp.plugins.module_utils._secrets import MASK, scrub
from ansible_collections.mailops.smtp.plugins.module_utils._settings import PASSWORD_CHANGED, stored_model
from ansible_collections.mailops.smtp.plugins.module_utils.stores.postconf import (
    PostconfStore,
    decode_literal,
    encode_literal,
)
from ansible_collections.mailops.smtp.plugins.module_utils.stores.postmap import PostmapStore

DEFAULT_PATH = '/etc/postfix/main.cf'
MAP_NAME = 'sasl_passwd'
# Map types whose source file postmap compiles (texthash is read from the source itself).
FILE_MAP_TYPES = ('hash', 'btree', 'lmdb', 'cdb', 'dbm', 'sdbm', 'texthash')
VERIFYING_LEVELS = ('verify', 'secure', 'dane-only', 'fingerprint')
TLS_LEVELS = ('encrypt',) + VERIFYING_LEVELS
SYSTEM_CA_DIR = '/etc/ssl/certs'
# What postmap makes of TYPE:FILE (the file the Postfix SMTP client reads instead of FILE).
COMPILED_SUFFIXES = {'hash': ('.db',), 'btree': ('.db',), 'lmdb': ('.lmdb',), 'cdb': ('.cdb',),
                     'dbm': ('.dir', '.pag'), 'sdbm': ('.dir', '.pag')}
OWNED = ('relayhost', 'smtp_sasl_auth_enable', 'smtp_sasl_password_maps', 'smtp_sasl_security_options',
         'smtp_tls_security_level', 'smtp_tls_wrappermode', 'smtp_tls_CAfile')
# Parameters that send mail somewhere else than relayhost (postconf(5): relayhost "is overruled with
# relay_transport, sender_dependent_default_transport_maps, default_transport, sender_dependent_relayhost_maps
# and with the transport(5) table"). The maps decide per recipient or sender: the module cannot tell which mail.
ROUTING_MAPS = ('transport_maps', 'sender_dependent_relayhost_maps', 'sender_dependent_default_transport_maps')
# default_transport values that deliver nothing through relayhost
NO_RELAY_TRANSPORTS = ('error', 'discard', 'retry', 'local', 'virtual')
_RELAYHOST = re.compile(r'^\[([^\]]+)\](?::(\d+))?$|^([^\[\]:]+)(?::(\d+))?$')


class PostconfLiteralCodec(Codec):
    """main.cf values: a literal Postfix expands to itself (``$`` doubled); no whitespace, no ``,`` in lists."""

    def __init__(self, list_safe=False):
        self.list_safe = list_safe

    def decode(self, stored):
        return decode_literal(stored)

    def encode(self, value, option='value', app='postfix'):
        if any(char.isspace() for char in value):
            self.refuse(option, app, 'Postfix splits main.cf values at whitespace and folds it')
        if self.list_safe and (',' in value or '{' in value or '}' in value):
            self.refuse(option, app, 'Postfix splits this list parameter at "," and reads {} as grouping')
        try:
            return encode_literal(value)
        except StoreError as exc:
            self.refuse(option, app, str(exc))


class SaslCredentialsCodec(Codec):
    """The map value ``username:password`` as the Postfix SMTP client splits it (at the first ``:``)."""

    def encode_pair(self, username, password, app='postfix'):
        if ':' in username:
            self.refuse('username', app, 'the Postfix SMTP client splits the map value at the first ":"')
        if username != username.lstrip() or not username:
            self.refuse('username', app, 'postmap drops leading whitespace of a map value')
        if password != password.rstrip():
            self.refuse('password', app, 'postmap drops trailing whitespace of a map value')
        return '%s:%s' % (username, password)

    def decode(self, stored):
        if stored is None:
            return None, None
        username, _sep, password = stored.partition(':')
        return username or None, password or None


LITERAL = PostconfLiteralCodec()
LIST_LITERAL = PostconfLiteralCodec(list_safe=True)
CREDENTIALS = SaslCredentialsCodec()


def parse_relayhost(value):
    """``[host]:port``, ``[host]``, ``host:port``, ``host`` -> (host, port, bracketed) or None."""
    if not value:
        return None
    match = _RELAYHOST.match(value.strip())
    if not match:
        return None
    if match.group(1) is not None:
        host = match.group(1)
        if host.lower().startswith('ipv6:'):  # Postfix also accepts [ipv6:2001:db8::1]
            host = host[5:]
        return host, int(match.group(2)) if match.group(2) else 25, True
    return match.group(3), int(match.group(4)) if match.group(4) else 25, False


# Where Cyrus SASL looks for its plugins (Debian/Ubuntu multiarch, RHEL/Fedora, others).
SASL_PLUGIN_DIRS = ('/usr/lib/x86_64-linux-gnu/sasl2', '/usr/lib/aarch64-linux-gnu/sasl2', '/usr/lib64/sasl2',
                    '/usr/lib/sasl2', '/usr/local/lib/sasl2')


def find_xoauth2_plugin(dirs=SASL_PLUGIN_DIRS):
    """The path of an installed Cyrus SASL XOAUTH2 plugin (``libxoauth2.so*``), or None."""
    for directory in dirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if name.startswith('libxoauth2.so'):
                return os.path.join(directory, name)
    return None


def relay_key(host, port):
    """The relayhost value and the password-map key the Postfix SMTP client looks up for it."""
    return '[%s]:%d' % (host.lower(), port)


def masked_map(text, secrets, mask=MASK):
    """The map text with the password part of every entry replaced by ``mask`` (``********``)."""
    if not text:
        return text
    store = PostmapStore.parse(text)
    for key in store.keys():
        value = store.get((key,))
        if value:
            username = value.partition(':')[0]
            store.set((key,), '%s:%s' % (username, mask) if ':' in value else mask)
    return scrub(store.render(), secrets)


class PostfixProfile(FileProfile):
    """Postfix ``main.cf`` relay settings and the SASL password map."""

    name = 'postfix'
    label = 'Postfix (relay client)'
    settings_location = '`main.cf` (`relayhost`, TLS, SASL) and its SASL password map'
    doc = (
        "the host's own Postfix as a relay client. In C(main.cf) (O(path), default C(/etc/postfix/main.cf)) "
        'C(relayhost = [host]:port), C(smtp_tls_security_level) (V(none), C(encrypt) when O(validate_certs=false), '
        'else C(verify)), C(smtp_tls_wrappermode = yes) for implicit TLS, C(smtp_tls_CAfile) from O(ca_path), '
        'C(smtp_sasl_auth_enable), C(smtp_sasl_security_options = noanonymous), C(smtp_sasl_password_maps); the '
        "credentials go to that map's source file (by default C(sasl_passwd) next to C(main.cf), created 0600, with "
        'the type C(postconf -h default_database_type) names) and C(postmap) compiles it. O(from_email) becomes '
        'C(sender_canonical_maps = static:ADDRESS), which rewrites every sender address (envelope and headers) to '
        'it. No sender name; one server only. Values are read back with C(postconf) and C(postmap -q). Reload '
        "Postfix to apply (the role's handler does)."
    )
    # smtp_tls_security_level encrypt/verify require TLS; smtp_tls_CAfile alone is trusted
    # (tls_append_default_CA = no); the Cyrus SASL client picks the mechanism.
    connection = Connection(ca_key='smtp_tls_CAfile', ca_alone=True,
                            senders=('From and envelope: whatever the local senders hand to Postfix',))
    store_format = 'postconf'
    # relayhost and the SASL/TLS parameters, the CA directory set when unset, the static sender rewrite
    owned_keys = OWNED + ('smtp_tls_CApath', 'sender_canonical_maps')
    value_codec = LITERAL
    codecs = {('smtp_sasl_password_maps',): LIST_LITERAL, ('sender_canonical_maps',): LIST_LITERAL}

    def __init__(self, module, params):
        super().__init__(module, params)
        self.path = params.get('path') or DEFAULT_PATH
        self.config_dir = os.path.dirname(os.path.abspath(self.path))

    def check(self, settings, state):
        if settings is not None and settings.oauth2:
            plugin = find_xoauth2_plugin()
            if plugin is None:
                raise SettingsError('oauth2', 'oauth2: Postfix logs in with OAuth 2.0 only through a Cyrus SASL '
                                    'XOAUTH2 plugin (such as sasl-xoauth2), and none is installed on this host '
                                    '(looked in %s); install one, or relay through msmtp with oauth2'
                                    % ', '.join(SASL_PLUGIN_DIRS))
            raise SettingsError('oauth2', 'oauth2: this host has the SASL XOAUTH2 plugin %s, but the module does not '
                                'write its token configuration yet; configure the plugin by hand (and test it with '
                                'smtp_probe and oauth2), or relay through msmtp with oauth2' % plugin)
        super().check(settings, state)
        if os.path.basename(self.path) != 'main.cf':
            raise SettingsError('path', 'path: Postfix reads its parameters from a file named main.cf in its '
                                'configuration directory (postfix -c DIR), not from %s' % os.path.basename(self.path))
        if settings is None:
            return
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Postfix cannot set a sender name (it keeps the name the '
                                   'sending program wrote)')

    # -- Postfix's own tools on the host
    def _tool(self, name):
        if self.module is None:  # planning without a host (unit tests of the mapping)
            raise StoreError('postfix: %s cannot run without a module' % name)
        path = self.module.get_bin_path(name, opt_dirs=['/usr/sbin', '/usr/local/sbin'])
        if not path:
            raise StoreError('postfix: %s is not installed on this host (is Postfix?)' % name)
        return path

    def _postconf(self, flags, *names):
        postconf = self._tool('postconf')
        rc, out, err = self.module.run_command([postconf, '-c', self.config_dir, flags] + list(names))
        if rc != 0:
            detail = (err or out).strip()
            command = 'postconf -c %s %s %s' % (self.config_dir, flags, ' '.join(names))
            raise StoreError('postfix: %s failed: %s' % (command, detail))
        return out.rstrip('\n')

    def _postmap_query(self, key, table):
        """What Postfix reads for ``key`` from the compiled map (None: no entry, or no compiled map yet)."""
        postmap = self._tool('postmap')
        rc, out, err = self.module.run_command([postmap, '-c', self.config_dir, '-q', key, table])
        if rc == 1 and 'fatal:' in (err or ''):
            if 'open database' in err:
                return None   # the source was never compiled (or its compiled file is gone): drift, postmap runs
            raise StoreError('postfix: postmap -q on %s failed: %s' % (table, err.strip()))
        if rc == 1:
            return None
        if rc != 0:
            raise StoreError('postfix: postmap -q on %s failed: %s' % (table, (err or out).strip()))
        return out.rstrip('\n')

    # -- reading
    def _literal(self, store, name, on_disk):
        """What Postfix uses for ``name``: the literal, or (on disk) postconf's expansion of references."""
        raw = store.get((name,))
        if raw is None:
            return None
        literal = decode_literal(raw)
        if literal is None and on_disk:
            literal = self._postconf('-xh', name)
        return literal

    def _map_of(self, store, on_disk, default_type):
        """(type, path) of the SASL password map main.cf names (or will name), or raise StoreError."""
        value = self._literal(store, 'smtp_sasl_password_maps', on_disk)
        if not value:
            return default_type, os.path.join(self.config_dir, MAP_NAME)
        tables = [table for table in re.split(r'[\s,]+', value) if table]
        if len(tables) == 1 and ':' in tables[0]:
            table_type, table_path = tables[0].split(':', 1)
            if table_type in FILE_MAP_TYPES and os.path.isabs(table_path):
                return table_type, table_path
        raise StoreError('postfix: smtp_sasl_password_maps in %s is not one file map of type %s; this profile '
                         'edits only such a map' % (self.path, ', '.join(FILE_MAP_TYPES)))

    def _routing(self, store, on_disk):
        """``(next hop, override)``: where Postfix sends mail for other domains (``default_transport``'s next hop
        when it names one, else ``relayhost``) and, when that is not ``relayhost``, the refusal message for a
        change (naming the parameter and its line). StoreError when the module cannot tell where mail goes."""
        def where(name):
            line = store.line_of((name,))
            return ('line %d of %s' % (line, self.path)) if line else 'its default'

        names = ROUTING_MAPS + ('relay_transport', 'relay_domains', 'default_transport')
        if on_disk:  # the values Postfix uses: defaults and $references included (one postconf run)
            used = dict(zip(names, self._postconf('-xh', *names).split('\n')))
        else:
            used = dict((name, self._literal(store, name, False)) for name in names)
        value = used.get

        refused = []
        for name in ROUTING_MAPS:
            if (value(name) or '').strip():
                refused.append('%s (%s) chooses a transport or relay per recipient or sender' % (name, where(name)))
        relay_transport = (value('relay_transport') or '').strip()
        if relay_transport.partition(':')[2].strip() and (value('relay_domains') or '').strip():
            refused.append('relay_transport = %s (%s) sends mail for relay_domains to its own next hop'
                           % (relay_transport, where('relay_transport')))
        transport = (value('default_transport') or '').strip()
        name, _sep, nexthop = transport.partition(':')
        if name.strip().lower() in NO_RELAY_TRANSPORTS:
            refused.append('default_transport = %s (%s) delivers no mail through relayhost'
                           % (transport, where('default_transport')))
        elif nexthop.strip() and parse_relayhost(nexthop.strip()) is None:
            refused.append('default_transport = %s (%s) names a next hop the module cannot read'
                           % (transport, where('default_transport')))
        if refused:
            raise StoreError('postfix: mail does not go (only) to relayhost: %s; the module cannot tell where '
                             'Postfix sends the app\'s mail, so it refuses. Empty those parameters (or manage '
                             'Postfix routing yourself)' % '; '.join(refused))
        if nexthop.strip():
            return nexthop.strip(), ('postfix: default_transport = %s (%s) sends all mail to %s, not to '
                                     'relayhost; the module edits relayhost only, so it refuses: set '
                                     'default_transport = %s and run again' % (transport, where('default_transport'),
                                                                               nexthop.strip(), name.strip()))
        return self._literal(store, 'relayhost', on_disk), None

    def read(self):
        from ansible_collections.mailops.smtp.plugins.module_utils._files import read_text
        text = read_text(self.path)
        if text is None:   # a main.cf to create: the map it will name is looked up here, not in plan()
            map_path = os.path.join(self.config_dir, MAP_NAME)
            return Snapshot(False, None, handle=dict(text='', relayhost=None, map_error=None,
                                                     map_type=self._default_type(), map_path=map_path,
                                                     map_text=read_text(map_path), compiled=None, source_value=None))
        try:
            store = PostconfStore.parse(text)
        except StoreError as exc:
            raise StoreError('postfix: cannot parse %s as main.cf: %s' % (self.path, exc)) from None
        nexthop, override = self._routing(store, True)
        handle = dict(text=text, relayhost=nexthop, override=override, map_error=None,
                      map_type=None, map_path=None, map_text=None, compiled=None, source_value=None)
        try:
            default_type = self._postconf('-h', 'default_database_type') or 'hash'
            handle['map_type'], handle['map_path'] = self._map_of(store, True, default_type)
        except StoreError as exc:
            handle['map_error'] = str(exc)
        relay = parse_relayhost(handle['relayhost'])
        if handle['map_path']:
            handle['map_text'] = read_text(handle['map_path'])
            if relay is not None:
                key = relay_key(relay[0], relay[1]) if relay[2] else relay[0].lower()
                table = '%s:%s' % (handle['map_type'], handle['map_path'])
                if handle['map_text'] is not None:
                    handle['source_value'] = PostmapStore.parse(handle['map_text']).get((key,))
                    handle['compiled'] = self._postmap_query(key, table)
        stored = self._extract(store, handle['compiled'], handle['relayhost'], True)
        secrets = [CREDENTIALS.decode(value)[1] for value in (handle['compiled'], handle['source_value'])]
        if handle['map_text']:
            map_store = PostmapStore.parse(handle['map_text'])
            secrets.extend(CREDENTIALS.decode(map_store.get((key,)))[1] for key in map_store.keys())
        return Snapshot(True, stored, secrets=[s for s in secrets if s], handle=handle)

    def _extract(self, store, credentials, relayhost, on_disk):
        relay = parse_relayhost(relayhost)
        if relay is None:
            return None
        host, port, _bracketed = relay

        def get(name):
            return self._literal(store, name, on_disk)

        wrapper = (get('smtp_tls_wrappermode') or 'no').lower() == 'yes'
        level = (get('smtp_tls_security_level') or '').lower()
        if not level:  # the obsolete parameters count only while the level is empty
            if (get('smtp_enforce_tls') or '').lower() == 'yes':
                level = 'verify' if (get('smtp_tls_enforce_peername') or 'yes').lower() == 'yes' else 'encrypt'
            elif (get('smtp_use_tls') or '').lower() == 'yes':
                level = 'may'
        if wrapper and level in TLS_LEVELS:
            security = 'tls'
        elif level in TLS_LEVELS:
            security = 'starttls'
        elif level == 'none':
            security = 'none'
        else:
            security = None  # opportunistic (may, dane, empty): neither "none" nor a required TLS
        auth = (get('smtp_sasl_auth_enable') or 'no').lower() == 'yes'
        username, password = CREDENTIALS.decode(credentials) if auth else (None, None)
        canonical = get('sender_canonical_maps') or ''
        from_email = canonical[len('static:'):] if canonical.startswith('static:') else None
        return stored_model(host=host, port=port, security=security,
                            validate_certs=level in VERIFYING_LEVELS or level == 'none', auth=auth,
                            username=username, password=password, from_email=from_email or None)

    def extract(self, store):
        return self._extract(store, None, self._routing(store, False)[0], False)

    # -- planning
    def plan(self, snapshot, settings, state, update_password):
        handle = dict(snapshot.handle) if isinstance(snapshot.handle, dict) else snapshot.handle   # pure: a copy
        if not isinstance(handle, dict):  # main.cf text only (no read() on a host): no map, nothing compiled
            text = handle or ''
            nexthop, override = self._routing(PostconfStore.parse(text), False)
            handle = dict(text=text, relayhost=nexthop, override=override, map_error=None, map_type=None,
                          map_path=None, map_text=None, compiled=None, source_value=None)
        if handle.get('override'):
            raise StoreError(handle['override'])  # outgoing_server_info reports that next hop as drift instead
        old_text = handle['text']
        store = PostconfStore.parse(old_text)
        if handle['map_path'] is None and handle['map_error'] is None:   # no host (read() looks it up): no I/O
            handle['map_type'], handle['map_path'] = self._map_of(store, False, 'hash')
        map_text = handle['map_text'] or ''
        map_store = PostmapStore.parse(map_text)
        old_relay = parse_relayhost(handle['relayhost'])
        old_key = None
        if old_relay is not None:
            old_key = relay_key(old_relay[0], old_relay[1]) if old_relay[2] else old_relay[0].lower()
        postmap_needed = False
        final_map = None
        if state == 'absent':
            if snapshot.exists:
                self._remove_relay(store)
                if old_key and map_store.get((old_key,)) is not None:
                    map_store.delete((old_key,))
        else:
            key = relay_key(settings.host, settings.port)
            self._apply_main(store, settings, handle)
            if settings.auth:
                if handle['map_error']:
                    raise StoreError(handle['map_error'])
                password = keep_password(settings, snapshot.stored or {}, update_password) or ''
                value = CREDENTIALS.encode_pair(settings.username, password)
                if map_store.get((key,)) != value:
                    map_store.set((key,), value)
                postmap_needed = handle['compiled'] != handle['source_value'] and old_key == key
            elif map_store.get((key,)) is not None:
                map_store.delete((key,))
            if old_key and old_key != key and map_store.get((old_key,)) is not None:
                final = PostmapStore.parse(map_store.render())
                final.delete((old_key,))
                final_map = final.render()
        new_text = store.render()
        new_map = map_store.render()
        map_changed = new_map != map_text or (final_map is not None and final_map != map_text)
        changed = new_text != old_text or map_changed or postmap_needed
        if not snapshot.exists:
            changed = state != 'absent'
            if state == 'absent':
                new_text, new_map, map_changed = old_text, map_text, False
        after_store = PostconfStore.parse(new_text)
        compiled_after = PostmapStore.parse(final_map if final_map is not None else new_map)
        relayhost_after = self._literal(after_store, 'relayhost', False)
        relay_after = parse_relayhost(relayhost_after)
        credentials = None
        if relay_after is not None:
            credentials = compiled_after.get((relay_key(relay_after[0], relay_after[1]),))
        if state != 'absent' and not changed:
            stored_after = snapshot.stored
        else:
            stored_after = self._extract(after_store, credentials, relayhost_after, False)
        secrets = list(snapshot.secrets)
        if settings is not None and settings.password:
            secrets.append(settings.password)
        map_path = handle['map_path']
        before = self._diff_text(old_text if snapshot.exists else '', map_text, secrets, map_path)
        # both sides are masked: a new password says so on the after side (as FileProfile.plan does)
        old_password = (snapshot.stored or {}).get('password')
        new_password = (stored_after or {}).get('password')
        after = self._diff_text(new_text, final_map if final_map is not None else new_map, secrets, map_path,
                                PASSWORD_CHANGED if old_password and new_password and new_password != old_password
                                else MASK)
        return Plan(changed, before=before, after=after, stored_after=stored_after,
                    payload=dict(text=new_text, text_changed=new_text != old_text, map_text=new_map,
                                 map_changed=new_map != map_text, final_map=final_map,
                                 postmap=map_changed or postmap_needed, map_type=handle['map_type'],
                                 map_path=map_path, map_existed=handle['map_text'] is not None),
                    before_header='%s (before)' % self.path if snapshot.exists else '%s (absent)' % self.path,
                    after_header='%s (after)' % self.path)

    def _default_type(self):
        try:
            return self._postconf('-h', 'default_database_type') or 'hash'
        except StoreError:
            return 'hash'

    def _diff_text(self, main_text, map_text, secrets, map_path, mask=MASK):
        text = scrub(main_text, secrets)
        if map_text:
            text += '\n# ---- %s ----\n%s' % (map_path, masked_map(map_text, secrets, mask))
        return text

    def _apply_main(self, store, settings, handle):
        put = self.put
        put(store, ('relayhost',), relay_key(settings.host, settings.port), option='server')
        if settings.security == 'none':
            put(store, ('smtp_tls_security_level',), 'none', option='security')
        else:
            level = 'verify' if settings.validate_certs else 'encrypt'
            put(store, ('smtp_tls_security_level',), level, option='validate_certs')
        if settings.security == 'tls':
            put(store, ('smtp_tls_wrappermode',), 'yes', option='security')
        else:
            self.drop(store, ('smtp_tls_wrappermode',))
        if settings.security != 'none' and settings.validate_certs:
            if settings.ca_path:
                put(store, ('smtp_tls_CAfile',), settings.ca_path, option='ca_path')
            elif not self.get(store, ('smtp_tls_CApath',)):
                put(store, ('smtp_tls_CApath',), SYSTEM_CA_DIR, option='ca_path')
        if settings.auth:
            put(store, ('smtp_sasl_auth_enable',), 'yes', option='auth')
            put(store, ('smtp_sasl_security_options',), 'noanonymous', option='auth')
            if not store.get(('smtp_sasl_password_maps',)):  # else it already names this map (see _map_of)
                put(store, ('smtp_sasl_password_maps',), '%s:%s' % (handle['map_type'], handle['map_path']),
                    option='path')
        elif self.get(store, ('smtp_sasl_auth_enable',)) not in (None, 'no'):
            put(store, ('smtp_sasl_auth_enable',), 'no', option='auth')
        if settings.from_email is not None:
            current = self.get(store, ('sender_canonical_maps',))
            if current and not current.startswith('static:'):
                raise SettingsError('from_email', 'from_email: postfix cannot store it here: main.cf already has '
                                    'sender_canonical_maps with another map, which this module does not replace')
            put(store, ('sender_canonical_maps',), 'static:' + settings.from_email, option='from_email')

    def _remove_relay(self, store):
        for name in OWNED:
            self.drop(store, (name,))
        canonical = self.get(store, ('sender_canonical_maps',))
        if canonical and canonical.startswith('static:'):
            self.drop(store, ('sender_canonical_maps',))

    def password_path(self, plan):
        return (plan.payload or {}).get('map_path') or self.path

    # -- writing: one transaction over main.cf, the map and its compiled file
    def _compile(self, map_type, map_path, text):
        """Candidates of the compiled map of ``text``: postmap runs on a temp copy (the map's final mode and
        owner), and what it makes gets that copy's mode and owner. Nothing visible changes. Raises StoreError."""
        from ansible_collections.mailops.smtp.plugins.module_utils import _files
        source = _files.prepare(self.module, map_path, text.encode('utf-8'))
        produced = []
        try:
            if source.in_place:
                raise StoreError('postfix: %s cannot be compiled from a copy beside it; nothing was changed' % map_path)
            postmap = self._tool('postmap')
            rc, out, err = self.module.run_command([postmap, '-c', self.config_dir, '%s:%s' % (map_type, source.temp)])
            produced = [source.temp + suffix for suffix in COMPILED_SUFFIXES.get(map_type, ('.db',))]
            if rc != 0:
                detail = (err or out).strip().replace(source.temp, '%s (a candidate copy)' % map_path)
                raise StoreError('postfix: postmap %s:%s failed: %s; nothing was changed'
                                 % (map_type, map_path, detail))
            like = os.stat(source.temp)
            found = [path for path in produced if os.path.exists(path)]
            if len(found) != len(produced):
                raise StoreError('postfix: postmap %s:%s made no %s; nothing was changed'
                                 % (map_type, map_path, ' and '.join(COMPILED_SUFFIXES.get(map_type, ('.db',)))))
            candidates = []
            for path in produced:
                candidates.append(_files.adopt(self.module, path, map_path + path[len(source.temp):], like))
            return candidates
        except BaseException:
            for path in produced:
                _files._unlink_quietly(path)
            raise
        finally:
            source.discard()

    def commit(self, plan):
        """main.cf, the map and its compiled file as one transaction (``_files.commit``): every candidate is
        written, compiled and checked first; the renames come last, in an order in which Postfix always finds
        credentials for the relay its main.cf names (the compiled map with the old and the new relay's entries
        first, main.cf, then the map without the old relay's entry); one failing rename puts every file back."""
        from ansible_collections.mailops.smtp.plugins.module_utils import _files
        payload = plan.payload
        map_type, map_path = payload['map_type'], payload['map_path']
        final_map = payload['final_map'] if payload['final_map'] is not None else payload['map_text']
        two_steps = payload['final_map'] is not None
        prepared = []

        def keep(candidates):
            prepared.extend(candidates)
            return candidates

        try:
            main = keep([_files.prepare(self.module, self.path, payload['text'].encode('utf-8'),
                                        **self._attributes())]) if payload['text_changed'] else []
            text_first = text_last = compiled_first = compiled_last = []
            if payload['map_changed'] or two_steps:
                if map_type == 'texthash':   # Postfix reads the text itself: it goes in two steps too
                    text_first = keep([_files.prepare(self.module, map_path, payload['map_text'].encode('utf-8'))]) \
                        if two_steps else []
                text_last = keep([_files.prepare(self.module, map_path, final_map.encode('utf-8'))])
            if payload['postmap'] and map_type != 'texthash':
                compiled_first = keep(self._compile(map_type, map_path, payload['map_text'])) if two_steps else []
                compiled_last = keep(self._compile(map_type, map_path, final_map))
        except BaseException:
            for candidate in prepared:
                candidate.discard()
            raise
        if map_type == 'texthash':
            order = text_first + main + text_last
        elif two_steps:
            order = compiled_first + text_last + main + compiled_last
        else:
            order = compiled_last + text_last + main
        backups = {}
        if self.params.get('backup'):
            backups[_files.resolve(self.path)] = 'backup_file'
            if payload['map_existed']:
                backups[_files.resolve(map_path)] = 'map_backup_file'
        return _files.commit(self.module, order, backups=backups)
