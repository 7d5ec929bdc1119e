# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Discourse: the ``env:`` map of containers/app.yml (DISCOURSE_SMTP_*)."""

from __future__ import annotations

import os

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    OPPORTUNISTIC,
    SSL_CERT_FILE_RUBY,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._ruby_codecs import DiscourseEnvCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import text_bool, to_port
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


DISCOURSE = 'DISCOURSE_SMTP_'


def config_name(path):
    """The launcher's config name: ``containers/app.yml`` -> ``app``."""
    name = os.path.basename(path or 'app.yml')
    return name[:-4] if name.endswith('.yml') else name


class DiscourseProfile(FileProfile):
    """Discourse ``containers/app.yml`` ``env:`` (DISCOURSE_SMTP_* strings)."""

    name = 'discourse'
    label = 'Discourse'
    settings_location = '`containers/app.yml`, `env:`'
    doc = (
        'the C(env) map of C(containers/app.yml) (C(DISCOURSE_SMTP_*) strings, C(DISCOURSE_NOTIFICATION_EMAIL)). '
        'Rebuild the container to apply.'
    )
    # config/environments/production.rb: DISCOURSE_SMTP_ENABLE_START_TLS becomes the mail gem's
    # enable_starttls_auto (upgrade only when offered); FORCE_TLS its implicit TLS; no CA file setting.
    connection = Connection(ca_env=SSL_CERT_FILE_RUBY, starttls=OPPORTUNISTIC, mechanisms=('PLAIN',),
                            senders=('From: DISCOURSE_NOTIFICATION_EMAIL (site setting notification_email)',
                                     'envelope: the same address'))
    store_format = 'yaml'
    owned_container = 'env'
    owned_keys = tuple(DISCOURSE + suffix for suffix in (
        'ADDRESS', 'PORT', 'USER_NAME', 'PASSWORD', 'ENABLE_START_TLS', 'FORCE_TLS', 'OPENSSL_VERIFY_MODE')) + (
        'DISCOURSE_NOTIFICATION_EMAIL',)
    secret_paths = (('env', DISCOURSE + 'PASSWORD'),)

    def _p(self, suffix):
        return ('env', suffix if suffix.startswith('DISCOURSE_') else DISCOURSE + suffix)

    def __init__(self, module, params):
        super().__init__(module, params)
        # Every env value goes through Psych, Ruby's to_s and the launcher's shell read (see _ruby_codecs.py);
        # the launcher's config name is the file name (containers/<config>.yml).
        self.value_codec = DiscourseEnvCodec(config_name(self.path))

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Discourse takes the sender name from its site settings, not '
                                   'from app.yml')
        self.require_one_of_auth_user(settings)

    def extract(self, store):
        host = self.get(store, self._p('ADDRESS'))
        if not host:
            return None
        port = to_port(self.get(store, self._p('PORT')))
        force_tls = text_bool(self.get(store, self._p('FORCE_TLS')), False)
        starttls = text_bool(self.get(store, self._p('ENABLE_START_TLS')), True)
        security = 'tls' if force_tls else ('starttls' if starttls else 'none')
        user = self.get(store, self._p('USER_NAME')) or None
        verify = self.get(store, self._p('OPENSSL_VERIFY_MODE'))
        return stored_model(host=str(host), port=port if port is not None else 25, security=security,
                            validate_certs=str(verify).lower() != 'none' if verify else True,
                            auth=bool(user), username=user,
                            password=self.get(store, self._p('PASSWORD')) or None,
                            from_email=self.get(store, self._p('DISCOURSE_NOTIFICATION_EMAIL')) or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, self._p('ADDRESS'), settings.host, option='server')
        self.put(store, self._p('PORT'), str(settings.port))
        if settings.auth:
            self.put(store, self._p('USER_NAME'), settings.username, option='username')
            self.put(store, self._p('PASSWORD'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.drop(store, self._p('USER_NAME'))
            self.drop(store, self._p('PASSWORD'))
        if settings.security != 'starttls' or self.get(store, self._p('ENABLE_START_TLS')) is not None:
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
            self.put(store, self._p('DISCOURSE_NOTIFICATION_EMAIL'), settings.from_email, option='from_email')

    def remove(self, store):
        for key in self.owned_keys[:-1]:   # the last, DISCOURSE_NOTIFICATION_EMAIL, is written, never removed
            self.drop(store, self._p(key))
