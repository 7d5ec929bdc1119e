# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gitea / Forgejo: ``[mailer]`` in app.ini, read by go-ini.

What Gitea reads (modules/setting/config_provider.go, mailer.go): go-ini with ``IgnoreContinuation: true`` and
inline comments ON (an unquoted ``PASSWD = p#ss;word`` is ``p``), ``Key.String()`` for every value, and ``FROM``
through Go's ``net/mail.ParseAddress`` (a FROM it cannot parse stops Gitea at startup).
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._goini import GoIniCodec
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


class GiteaProfile(FileProfile):
    """Gitea / Forgejo ``[mailer]`` in app.ini (new-style keys; legacy keys removed)."""

    name = 'gitea'
    stores_sender_name = True
    store_format = 'ini'
    section = 'mailer'
    secret_paths = (('mailer', 'PASSWD'),)
    owned = ('ENABLED', 'PROTOCOL', 'SMTP_ADDR', 'SMTP_PORT', 'USER', 'PASSWD', 'FORCE_TRUST_SERVER_CERT',
             'FROM') + GITEA_LEGACY
    value_codec = GoIniCodec(continuation=False)

    def check(self, settings, state):
        super(GiteaProfile, self).check(settings, state)
        if settings is not None:
            self.require_one_of_auth_user(settings)

    def _get(self, store, key):
        return self.get(store, (self.section, key))

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
        for key in self.owned:
            self.drop(store, (self.section, key))
