# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Gitea / Forgejo: ``[mailer]`` in app.ini, read by go-ini."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import (
    format_from,
    parse_from,
    split_host_port,
    text_bool,
    to_port,
)
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


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
