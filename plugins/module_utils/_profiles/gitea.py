# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gitea / Forgejo: ``[mailer]`` in app.ini, read by go-ini.

What Gitea reads (modules/setting/config_provider.go, mailer.go): go-ini with ``IgnoreContinuation: true`` and
inline comments ON (an unquoted ``PASSWD = p#ss;word`` is ``p``), ``Key.String()`` for every value, and ``FROM``
through Go's ``net/mail.ParseAddress`` (a FROM it cannot parse stops Gitea at startup). The whole file goes
through go-ini first: a line go-ini refuses in ANY section stops Gitea, so the module refuses the file
(``_goini.GoIniLayout``).

``PROTOCOL`` (modules/setting/mailer.go, services/mailer/sender/smtp.go) is compared case-sensitively:
``smtps``, ``smtp+starttls`` (and the old typo ``smtp+startls``, which Gitea rewrites), ``smtp``; when empty or
absent it is inferred from ``SMTP_PORT`` (25 smtp, 465 smtps, 587 smtp+starttls, anything else smtps); any
other spelling (``SMTPS``, ``Smtp``) is no protocol Gitea knows, and its SMTP sender then speaks plain SMTP
without TLS. ``sendmail``, ``dummy`` and ``smtp+unix`` do not send to SMTP_ADDR:SMTP_PORT at all.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    GO_STORE,
    OPPORTUNISTIC,
    SSL_CERT_FILE_GO,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._computed import Computed
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniCodec, GoIniLayout
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._gomail import (
    format_address,
    name_problem,
    parse_address,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    check_sender_name,
    go_bool,
    split_host_port,
    to_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


GITEA_PROTOCOL = {'none': 'smtp', 'starttls': 'smtp+starttls', 'tls': 'smtps'}
GITEA_LEGACY = ('HOST', 'IS_TLS_ENABLED', 'SKIP_VERIFY', 'MAILER_TYPE')
# PROTOCOL as Gitea compares it (exact, case-sensitive) -> (security, SMTP_PORT Gitea infers when it is empty)
GITEA_SECURITY = {'smtp': ('none', 25), 'smtps': ('tls', 465), 'smtp+starttls': ('starttls', 587),
                  'smtp+startls': ('starttls', 587)}
GITEA_INFERRED = {'25': 'smtp', '465': 'smtps', '587': 'smtp+starttls'}  # PROTOCOL empty: from SMTP_PORT
GITEA_NOT_SMTP = ('sendmail', 'dummy', 'smtp+unix')  # senders that do not connect to SMTP_ADDR:SMTP_PORT


class GiteaProfile(FileProfile):
    """Gitea / Forgejo ``[mailer]`` in app.ini (new-style keys; legacy keys removed)."""

    name = 'gitea'
    label = 'Gitea (Forgejo)'
    settings_location = '`app.ini`, section `[mailer]`'
    doc = (
        "C([mailer]) of Gitea's or Forgejo's C(app.ini) (C(PROTOCOL), C(SMTP_ADDR), C(SMTP_PORT); the legacy "
        'C(HOST), C(IS_TLS_ENABLED), C(SKIP_VERIFY), C(MAILER_TYPE) keys are removed).'
    )
    service = 'gitea'
    # services/mailer/sender/smtp.go: smtp+starttls is go-mail's TLSOpportunistic ("falling back to regular
    # SMTP"), smtps implicit TLS, smtp no TLS; buildTLSConfig sets no RootCAs (host store); CRAM-MD5, then PLAIN,
    # then LOGIN, whichever the server offers first in that order.
    connection = Connection(ca_env=SSL_CERT_FILE_GO,
                            starttls=OPPORTUNISTIC, trust=GO_STORE, mechanisms=('CRAM-MD5', 'PLAIN', 'LOGIN'),
                            senders=('From: FROM', 'envelope: ENVELOPE_FROM, else the address of FROM'))
    stores_sender_name = True
    store_format = 'ini'
    section = 'mailer'
    secret_paths = (('mailer', 'PASSWD'),)
    owned_container = 'mailer'
    owned_keys = ('ENABLED', 'PROTOCOL', 'SMTP_ADDR', 'SMTP_PORT', 'USER', 'PASSWD', 'FORCE_TRUST_SERVER_CERT',
                  'FROM') + GITEA_LEGACY
    value_codec = GoIniCodec(continuation=False)
    store_options = {'layout': GoIniLayout(continuation=False, app='Gitea')}

    def check(self, settings, state):
        super().check(settings, state)
        if settings is not None:
            self.require_one_of_auth_user(settings)

    def _get(self, store, key):
        return self.get(store, (self.section, key))

    def extract(self, store):
        host = self._get(store, 'SMTP_ADDR')
        port_text = self._get(store, 'SMTP_PORT')
        if not host:
            legacy = self._get(store, 'HOST')
            if not legacy:
                return None
            host, port = split_host_port(legacy)
            port_text = str(port) if port is not None else ''
        security, port = self.read_protocol(store, port_text or '')
        trust = self._get(store, 'FORCE_TRUST_SERVER_CERT')
        if trust is None:
            trust = self._get(store, 'SKIP_VERIFY')
        user = self._get(store, 'USER') or None
        from_name, from_email = self.read_from(store)
        return stored_model(host=host, port=port, security=security,
                            validate_certs=not go_bool(trust, False), auth=bool(user), username=user,
                            password=self._get(store, 'PASSWD') or None, from_email=from_email,
                            from_name=from_name)

    def apply(self, store, settings, stored, update_password):
        section = self.section
        self.put(store, (section, 'ENABLED'), 'true')
        self.put(store, (section, 'PROTOCOL'), GITEA_PROTOCOL[settings.security], option='security')
        self.put(store, (section, 'SMTP_ADDR'), settings.host, option='server')
        self.put(store, (section, 'SMTP_PORT'), str(settings.port), option='port')
        if settings.auth:
            self.put(store, (section, 'USER'), settings.username, option='username')
            self.put(store, (section, 'PASSWD'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.put(store, (section, 'USER'), '', option='username')
            self.put(store, (section, 'PASSWD'), '', option='password')
        self.put(store, (section, 'FORCE_TRUST_SERVER_CERT'), 'false' if settings.validate_certs else 'true',
                 option='validate_certs')
        if settings.from_email is not None or settings.from_name is not None:
            address = settings.from_email or stored.get('from_email')
            if not address:
                raise self.unsupported('from_name', 'Gitea keeps the sender name inside FROM, which needs '
                                       'from_email too')
            name = settings.from_name if settings.from_name is not None else stored.get('from_name')
            if self.read_from(store) != (name or None, address):
                if settings.from_name is None:
                    check_sender_name(name, self.name, given=False)
                self.put(store, (section, 'FROM'), self.format_from(name, address), option='from_name')
        for key in GITEA_LEGACY:
            self.drop(store, (section, key))

    def read_protocol(self, store, port_text):
        """(security, port) as Gitea reads PROTOCOL and SMTP_PORT (exact spelling; see the module docstring)."""
        protocol = self._get(store, 'PROTOCOL')
        if protocol is None and self._get(store, 'MAILER_TYPE') == 'sendmail':
            protocol = 'sendmail'
        if protocol is None and self._get(store, 'IS_TLS_ENABLED') is not None:
            protocol = 'smtps' if go_bool(self._get(store, 'IS_TLS_ENABLED'), False) else 'smtp+starttls'
        if not protocol:
            protocol = GITEA_INFERRED.get(port_text, 'smtps')  # Gitea logs an error and assumes smtps
            port_text = port_text or '465'
        if protocol in GITEA_SECURITY:
            security, default_port = GITEA_SECURITY[protocol]
            return security, to_port(port_text) if port_text else default_port
        if protocol in GITEA_NOT_SMTP:
            # not SMTP to SMTP_ADDR:SMTP_PORT: no security setting describes it, so it is drift and gets rewritten
            return Computed(protocol), to_port(port_text)
        return 'none', to_port(port_text)  # an unknown spelling (SMTPS): Gitea's SMTP sender uses no TLS

    def read_from(self, store):
        """(name, address) as Gitea reads FROM (net/mail.ParseAddress); (None, None) when it cannot."""
        text = self._get(store, 'FROM')
        parsed = parse_address(text) if text else None
        if parsed is None:
            return None, None
        return parsed[0] or None, parsed[1] or None

    def format_from(self, name, address):
        """FROM that Gitea parses back to exactly (name, address), or a refusal naming the option."""
        if name:
            why = name_problem(name)
            if why:
                self.value_codec.refuse('from_name', self.name, why)
        text = format_address(name, address)
        if parse_address(text) != (name or '', address):
            # e.g. an address literal ([192.0.2.1]) that Go's net/mail does not parse
            self.value_codec.refuse('from_email', self.name,
                                    'Go\'s net/mail (Gitea reads FROM with it) cannot parse the sender address')
        return text

    def remove(self, store):
        for key in self.owned_keys:
            self.drop(store, (self.section, key))
