# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Redmine: ``<environment>.email_delivery`` in config/configuration.yml."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._ruby_codecs import (
    RedmineTextCodec,
    refuse_erb_code,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import text_bool, to_port
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


REDMINE_AUTH = (':login', ':plain', ':cram_md5')
MECHANISM = {':login': 'LOGIN', ':plain': 'PLAIN', ':cram_md5': 'CRAM-MD5'}
TEXT_KEYS = ('address', 'domain', 'user_name', 'password', 'ca_file')


class RedmineProfile(FileProfile):
    """Redmine ``config/configuration.yml``, ``<environment>.email_delivery`` (Ruby symbols kept)."""

    name = 'redmine'
    label = 'Redmine'
    settings_location = '`config/configuration.yml`, `email_delivery.smtp_settings`'
    doc = (
        'C(<environment>.email_delivery) of C(config/configuration.yml) (Ruby symbols such as C(:smtp) and '
        'C(:login) kept). Redmine keeps the sender in its database, so O(from_email) is refused. '
        'O(security=starttls) is written as C(enable_starttls) V(true) (required, never the opportunistic '
        "C(enable_starttls_auto)); O(security=none) is refused, because Redmine's mail library upgrades to "
        'STARTTLS whenever the server offers it; O(ca_path) is written to C(ca_file).'
    )
    service = 'redmine'
    options = dict(environment=dict(type='str', default='default', description=[
        'For O(app=redmine), the top-level section of C(configuration.yml) to edit.',
        'V(default) applies to every Rails environment; an environment section such as V(production) replaces the '
        'C(default) C(email_delivery) as a whole.',
    ]))
    # mail gem 2.7 lib/mail/network/delivery_methods/smtp.rb + net-smtp 0.3: enable_starttls required,
    # enable_starttls_auto opportunistic, and Net::SMTP upgrades on its own when neither is set; ca_file is
    # added to OpenSSL's default store; the one mechanism ``authentication`` names.
    connection = Connection(security=('starttls', 'tls'), ca_key='ca_file', mechanisms=('LOGIN',),
                            senders=('From: the mail_from setting (database)', 'envelope: the same address'))
    store_format = 'yaml'

    def __init__(self, module, params):
        super().__init__(module, params)
        self.environment = params.get('environment') or 'default'
        # Text settings go through ERB, then Psych (see _ruby_codecs.py); the others keep the store's spelling.
        self.codecs = dict((self._p(key), RedmineTextCodec()) for key in TEXT_KEYS)

    def parse(self, text):
        refuse_erb_code(text)
        return super().parse(text)

    def _p(self, key=None):
        base = (self.environment, 'email_delivery')
        if key is None:
            return base
        return base + ('smtp_settings', key)

    def secret_paths_for(self, store):
        return [self._p('password')]

    def check(self, settings, state):
        super().check(settings, state)
        if settings is None:
            return
        if settings.from_email is not None:
            raise self.unsupported('from_email', 'Redmine keeps the sender address in its database setting '
                                   'mail_from (Administration > Settings > Email notifications), not in '
                                   'configuration.yml')
        if settings.from_name is not None:
            raise self.unsupported('from_name', 'Redmine has no sender-name setting in configuration.yml')
        if settings.security == 'none':
            raise self.unsupported('security', 'Redmine\'s mail library (mail 2.7 with net-smtp 0.3) upgrades to '
                                   'STARTTLS whenever the server offers it, and configuration.yml has no setting '
                                   'that stops it, so Redmine would not connect as the plaintext test did; use '
                                   'security: starttls (written as enable_starttls: true, required) or tls')

    def test_mechanisms(self, settings):
        """Redmine logs in with the one mechanism ``authentication`` names (the one apply() writes or keeps)."""
        if settings is None or not settings.auth:
            return None
        return (MECHANISM.get(getattr(self, '_authentication', None) or ':login', 'LOGIN'),)

    def extract(self, store):
        host = self.get(store, self._p('address'))
        if host is None:
            return None
        ssl = text_bool(self.get(store, self._p('ssl')), False) or text_bool(self.get(store, self._p('tls')), False)
        starttls = (text_bool(self.get(store, self._p('enable_starttls')), False)
                    or text_bool(self.get(store, self._p('enable_starttls_auto')), True))
        security = 'tls' if ssl else ('starttls' if starttls else 'none')
        verify = self.get(store, self._p('openssl_verify_mode'))
        authentication = self.get(store, self._p('authentication'))
        user = self.get(store, self._p('user_name')) or None
        return stored_model(host=str(host), port=to_port(self.get(store, self._p('port'))) or 25,
                            security=security,
                            validate_certs=str(verify).lower().lstrip(':') != 'none' if verify else True,
                            auth=bool(authentication) and bool(user), username=user,
                            password=self.get(store, self._p('password')) or None)

    def apply(self, store, settings, stored, update_password):
        self.put(store, self._p() + ('delivery_method',), ':smtp')
        self.put(store, self._p('address'), settings.host, option='server')
        self.put(store, self._p('port'), settings.port)
        if settings.auth:
            current = self.get(store, self._p('authentication'))
            if current not in REDMINE_AUTH:
                self.put(store, self._p('authentication'), ':login')
                current = ':login'
            self._authentication = current
            self.put(store, self._p('user_name'), settings.username, option='username')
            self.put(store, self._p('password'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            for key in ('authentication', 'user_name', 'password'):
                self.drop(store, self._p(key))
        # The mail gem takes tls/ssl first, then enable_starttls (required: no STARTTLS offered, no mail, as in
        # the test), then enable_starttls_auto (opportunistic: never written true).
        if settings.security == 'tls':
            self.put(store, self._p('ssl'), True)
            self.drop(store, self._p('tls'))
            self.drop(store, self._p('enable_starttls'))
        else:
            self.drop(store, self._p('ssl'))
            self.drop(store, self._p('tls'))
            self.put(store, self._p('enable_starttls'), True, option='security')
        self.put(store, self._p('enable_starttls_auto'), False, option='security')
        if settings.validate_certs:
            self.drop(store, self._p('openssl_verify_mode'))
            if settings.ca_path:
                self.put(store, self._p('ca_file'), settings.ca_path, option='ca_path')
        else:
            self.put(store, self._p('openssl_verify_mode'), 'none')

    def owned(self):
        return self.environment, ('email_delivery',)

    def remove(self, store):
        for key in ('address', 'port', 'authentication', 'user_name', 'password', 'enable_starttls_auto',
                    'enable_starttls', 'ssl', 'tls', 'openssl_verify_mode', 'ca_file'):
            self.drop(store, self._p(key))
