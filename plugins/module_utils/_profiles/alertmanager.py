# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Prometheus Alertmanager: ``global.smtp_*`` in alertmanager.yml.

What Alertmanager reads (prometheus/alertmanager ``config/config.go`` and ``notify/email/email.go``; checked
with Debian's 0.25.0 ``amtool`` and server in the tests):

* ``smtp_smarthost`` is ``host:port`` (the port is required). ``[v6addr]:port`` loads, but 0.25 dials
  ``v6addr:port`` without the brackets and fails ("too many colons in address"): IPv6 addresses are refused;
* implicit TLS is chosen by the PORT: 465 means a TLS connection from the first byte, any other port a plain
  connection (newer releases add ``smtp_force_implicit_tls``; 0.25 rejects that key as unknown, so this
  profile never writes it and refuses implicit TLS on another port);
* ``smtp_require_tls`` (default true) then demands STARTTLS: Alertmanager fails when the server does not offer
  it. Alertmanager 0.25 applies this check even on port 465, after the TLS handshake, where servers do not
  offer STARTTLS, so for implicit TLS the profile writes ``smtp_require_tls: false`` (later releases skip the
  check on implicit TLS; ``false`` is right for both);
* authentication whenever ``smtp_auth_username`` is set: ``Email.auth`` walks the server's AUTH list in the
  server's order and takes the first of CRAM-MD5 (only with ``smtp_auth_secret``), PLAIN or LOGIN (with
  ``smtp_auth_password``), so the test does the same (``mechanism_order='server'``). PLAIN is Go's
  ``net/smtp.PlainAuth``, which refuses to send the password over a connection without TLS unless the host is
  literally ``localhost``, ``127.0.0.1`` or ``::1`` ("unencrypted connection"): a login with
  ``security: none`` to any other host is refused, since the server's list decides whether Alertmanager
  takes PLAIN;
* ``smtp_from`` is a Go template, parsed after templating as one RFC 5322 address (``"Name" <addr>`` works),
  and put in the From header with ``mime.QEncoding.Encode``: a non-ASCII sender puts the WHOLE value, address
  included, into one RFC 2047 encoded-word, and the header then holds no valid address (a strict parser reads
  "addr-spec local part with no domain"). Non-ASCII senders are refused, as is ``{{`` (template code);
* certificate checks are configured per receiver (``email_configs[].tls_config``); 0.25 has no global
  setting, so ``validate_certs: false`` and ``ca_path`` are refused (a private CA goes into the host's trust
  store, or SSL_CERT_FILE, which Go's crypto/x509 reads).

Receivers' ``email_configs`` may override every global; this profile edits the globals only.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    GO_STORE,
    REQUIRED,
    SSL_CERT_FILE_GO,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    check_sender_name,
    format_from,
    is_ascii,
    join_host_port,
    parse_from,
    split_host_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model

GLOBAL = 'global'
AM_OWNED = ('smtp_smarthost', 'smtp_require_tls', 'smtp_force_implicit_tls', 'smtp_auth_username',
            'smtp_auth_password', 'smtp_from')
IMPLICIT_TLS_PORT = 465
# Go net/smtp isLocalhost(): the only hosts PlainAuth sends a password to without TLS
GO_LOCALHOST = ('localhost', '127.0.0.1', '::1')


class AlertmanagerProfile(FileProfile):
    """Prometheus Alertmanager ``alertmanager.yml`` ``global:`` section."""

    name = 'alertmanager'
    label = 'Prometheus Alertmanager'
    settings_location = '`alertmanager.yml`, `global.smtp_*`'
    doc = (
        "C(global.smtp_*) of Prometheus Alertmanager's C(alertmanager.yml) (C(smtp_smarthost) C(host:port), "
        'C(smtp_require_tls), C(smtp_auth_username), C(smtp_auth_password), C(smtp_from)). Alertmanager uses '
        'implicit TLS exactly when the port is 465 (written with C(smtp_require_tls=false), which Alertmanager 0.25 '
        'needs there); implicit TLS on another port, STARTTLS or no TLS on 465, O(validate_certs=false) (set per '
        'receiver in Alertmanager), IPv6 addresses (0.25 cannot dial them), a login without TLS to another host than '
        'localhost (Go refuses to send PLAIN there) and a non-ASCII or templated (C({{)) sender are refused. Reload '
        'Alertmanager to apply.'
    )
    service = 'prometheus-alertmanager'
    service_state = 'reloaded'
    # notify/email/email.go: implicit TLS on port 465 only, smtp_require_tls demands STARTTLS; the mechanism
    # follows the server's AUTH list (CRAM-MD5 needs smtp_auth_secret); 0.25's global section has no CA file.
    connection = Connection(ca_env=SSL_CERT_FILE_GO, starttls=REQUIRED, trust=GO_STORE, mechanisms=('PLAIN', 'LOGIN'),
                            mechanism_order='server', senders=('From: smtp_from', 'envelope: the address of smtp_from'))
    stores_sender_name = True
    store_format = 'yaml'
    owned_container = GLOBAL
    owned_keys = AM_OWNED
    secret_paths = ((GLOBAL, 'smtp_auth_password'),)

    def _get(self, store, key):
        return self.get(store, (GLOBAL, key))

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        self.require_one_of_auth_user(settings)
        if settings.security == 'tls' and settings.port != IMPLICIT_TLS_PORT:
            raise self.unsupported('security', 'Alertmanager uses implicit TLS only when the smarthost port is '
                                   '465, not on port %d (0.25 has no smtp_force_implicit_tls)' % settings.port)
        if settings.port == IMPLICIT_TLS_PORT and settings.security != 'tls':
            raise self.unsupported('security', 'Alertmanager always uses implicit TLS on port 465, so security: '
                                   '%s is not possible there' % settings.security)
        if ':' in settings.host:
            raise self.unsupported('server', 'Alertmanager 0.25 joins host and port without brackets when it '
                                   'dials (dial tcp: too many colons in address), so an IPv6 address cannot work; '
                                   'use a host name')
        if settings.security == 'none' and settings.auth and settings.host.lower() not in GO_LOCALHOST:
            raise SettingsError('auth', 'auth: alertmanager logs in with the first of PLAIN and LOGIN that the server '
                                'lists, and Go\'s PLAIN refuses to send a password without TLS to any host but '
                                'localhost ("unencrypted connection"), so with security: none the test could pass '
                                'where alertmanager then fails; use security starttls or tls')
        if not settings.validate_certs:
            raise self.unsupported('validate_certs', 'Alertmanager sets certificate checks per receiver '
                                   '(email_configs[].tls_config.insecure_skip_verify); its global section has '
                                   'no such setting')
        for option in ('from_name', 'from_email'):
            value = getattr(settings, option)
            if value is None:
                continue
            if not is_ascii(value):
                raise self.unsupported(option, 'Alertmanager Q-encodes the whole From header, address included, '
                                       'when it holds non-ASCII characters, which leaves the header without a '
                                       'valid address; use ASCII')
            if '{{' in value or '}}' in value:
                raise self.unsupported(option, 'Alertmanager treats smtp_from as a Go template, where {{ and }} '
                                       'are template code')

    def extract(self, store):
        smarthost = self._get(store, 'smtp_smarthost')
        if not smarthost or not isinstance(smarthost, str):
            return None
        host, port = split_host_port(smarthost)
        force = self._get(store, 'smtp_force_implicit_tls')
        implicit = force if isinstance(force, bool) else port == IMPLICIT_TLS_PORT
        require_tls = self._get(store, 'smtp_require_tls')
        if implicit:
            security = 'tls'
        elif require_tls is None or require_tls is True:
            security = 'starttls'
        else:
            security = 'none'
        user = self._get(store, 'smtp_auth_username')
        password = self._get(store, 'smtp_auth_password')
        from_value = self._get(store, 'smtp_from')
        from_name, from_email = parse_from(from_value) if isinstance(from_value, str) else (None, None)
        skip = self.get(store, (GLOBAL, 'smtp_tls_config', 'insecure_skip_verify'))
        return stored_model(host=host, port=port, security=security, validate_certs=skip is not True,
                            auth=bool(user), username=str(user) if user else None,
                            password=password if isinstance(password, str) and password else None,
                            from_email=from_email, from_name=from_name)

    def apply(self, store, settings, stored, update_password):
        self.put(store, (GLOBAL, 'smtp_smarthost'), join_host_port(settings.host, settings.port), option='server')
        self.drop(store, (GLOBAL, 'smtp_force_implicit_tls'))
        self.put(store, (GLOBAL, 'smtp_require_tls'), settings.security == 'starttls', option='security')
        if settings.auth:
            self.put(store, (GLOBAL, 'smtp_auth_username'), settings.username, option='username')
            self.put(store, (GLOBAL, 'smtp_auth_password'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.drop(store, (GLOBAL, 'smtp_auth_username'))
            self.drop(store, (GLOBAL, 'smtp_auth_password'))
        if self.get(store, (GLOBAL, 'smtp_tls_config', 'insecure_skip_verify')) is True:
            self.put(store, (GLOBAL, 'smtp_tls_config', 'insecure_skip_verify'), False, option='validate_certs')
        if settings.from_email is not None or settings.from_name is not None:
            address = settings.from_email or stored.get('from_email')
            if not address:
                raise self.unsupported('from_name', 'Alertmanager keeps the sender name inside smtp_from, which '
                                       'needs from_email too')
            name = settings.from_name if settings.from_name is not None else stored.get('from_name')
            if name is not None and not is_ascii(name):
                raise self.unsupported('from_name', 'the stored sender name is not ASCII, which Alertmanager '
                                       'cannot send readably; give from_name')
            current = self._get(store, 'smtp_from')
            if not (isinstance(current, str) and parse_from(current) == (name or None, address)):
                if settings.from_name is None:
                    check_sender_name(name, self.name, given=False)
                self.put(store, (GLOBAL, 'smtp_from'), format_from(name, address), option='from_email')

    def remove(self, store):
        for key in AM_OWNED:
            self.drop(store, (GLOBAL, key))
