# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Mattermost: ``EmailSettings`` in config.json, read by Go's ``encoding/json`` into typed fields.

Keys match case-insensitively (the last matching key wins) and a value of the wrong JSON type is unreadable;
see ``_gojson.GoJsonFieldCodec``.
"""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._profiles._base import FileProfile, keep_password
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import (
    Connection,
    GO_STORE,
    SSL_CERT_FILE_GO,
)
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._gojson import GoJsonFieldCodec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._values import text_bool, to_port
from ansible_collections.mailops.smtp.plugins.module_utils._settings import stored_model


MM = 'EmailSettings'
MM_SECURITY = {'none': '', 'starttls': 'STARTTLS', 'tls': 'TLS'}


class MattermostProfile(FileProfile):
    """Mattermost ``config.json`` ``EmailSettings`` (SMTPPort is a JSON string)."""

    name = 'mattermost'
    label = 'Mattermost'
    settings_location = '`config/config.json`, `EmailSettings`'
    doc = 'C(EmailSettings) of C(config.json) (C(SMTPPort) is a JSON string).'
    service = 'mattermost'
    # server/channels/app/mail (mail.go): ConnectionSecurity STARTTLS calls StartTLS (fails when not offered),
    # TLS dials tls.Dial; no CA setting; PLAIN when offered, else LOGIN.
    connection = Connection(ca_env=SSL_CERT_FILE_GO, trust=GO_STORE, mechanisms=('PLAIN', 'LOGIN'),
                            senders=('From: FeedbackEmail (FeedbackName)', 'envelope: FeedbackEmail'))
    stores_sender_name = True
    store_format = 'json'
    secret_paths = ((MM, 'SMTPPassword'),)
    owned_container = 'EmailSettings'
    owned_keys = ('SMTPServer', 'SMTPPort', 'ConnectionSecurity', 'EnableSMTPAuth', 'SMTPUsername', 'SMTPPassword',
                  'SkipServerCertificateVerification', 'FeedbackEmail', 'FeedbackName')
    value_codec = GoJsonFieldCodec(str)  # *string fields
    codecs = {
        (MM, 'EnableSMTPAuth'): GoJsonFieldCodec(bool),
        (MM, 'SkipServerCertificateVerification'): GoJsonFieldCodec(bool),
    }

    def _get(self, store, key):
        return self.get(store, (MM, key))

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
        self.put(store, (MM, 'SMTPServer'), settings.host, option='server')
        self.put(store, (MM, 'SMTPPort'), str(settings.port), option='port')
        self.put(store, (MM, 'ConnectionSecurity'), MM_SECURITY[settings.security], option='security')
        self.put(store, (MM, 'EnableSMTPAuth'), bool(settings.auth), option='auth')
        if settings.auth:
            self.put(store, (MM, 'SMTPUsername'), settings.username, option='username')
            self.put(store, (MM, 'SMTPPassword'), keep_password(settings, stored, update_password) or '',
                     option='password')
        else:
            self.put(store, (MM, 'SMTPUsername'), settings.username or '', option='username')
            self.put(store, (MM, 'SMTPPassword'), '', option='password')
        self.put(store, (MM, 'SkipServerCertificateVerification'), not settings.validate_certs, option='validate_certs')
        if settings.from_email is not None:
            self.put(store, (MM, 'FeedbackEmail'), settings.from_email, option='from_email')
        if settings.from_name is not None:
            self.put(store, (MM, 'FeedbackName'), settings.from_name, option='from_name')

    def remove(self, store):
        for key in ('SMTPServer', 'SMTPPort', 'SMTPUsername', 'SMTPPassword'):
            if self.get(store, (MM, key)) is not None:
                self.put(store, (MM, key), '')
        self.drop(store, (MM, 'EnableSMTPAuth'))
