# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``KEY=value`` files (Django .env by default, Mastodon, twelve-factor apps)."""

from __future__ import annotations

from ansible_collections.mailops.smtp.plugins.module_utils._errors import SettingsError
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._dotenv_dialects import DIALECTS, dialect_codec
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._mapped import MappedProfile
from ansible_collections.mailops.smtp.plugins.module_utils._profiles._connection import Connection, SSL_CERT_FILE_PYTHON


DJANGO_KEYS = {
    'host': 'EMAIL_HOST',
    'port': 'EMAIL_PORT',
    'username': 'EMAIL_HOST_USER',
    'password': 'EMAIL_HOST_PASSWORD',
    'use_tls': 'EMAIL_USE_TLS',
    'use_ssl': 'EMAIL_USE_SSL',
    'from': 'DEFAULT_FROM_EMAIL',
}


class DotenvProfile(MappedProfile):
    """``KEY=value`` files; Django key names and ``True``/``False`` unless ``keys``/``values`` say otherwise.

    Every value goes through the codec of the ``dialect`` option (the reader the app uses, see
    ``_dotenv_dialects.py``): written so that reader reads it exactly, read back as that reader does.
    """

    name = 'dotenv'
    label = 'Django and other .env apps'
    settings_location = '`.env` files (Django, Mastodon, twelve-factor apps)'
    doc = (
        'a C(KEY=value) file; Django key names (C(EMAIL_HOST), C(EMAIL_PORT), C(EMAIL_HOST_USER), '
        'C(EMAIL_HOST_PASSWORD), C(EMAIL_USE_TLS), C(EMAIL_USE_SSL), C(DEFAULT_FROM_EMAIL)) and C(True)/C(False) '
        'unless O(keys) and O(values) say otherwise.'
    )
    options = dict(MappedProfile.options, dialect=dict(type='str', choices=list(DIALECTS)))
    # Django django/core/mail/backends/smtp.py: EMAIL_USE_TLS calls starttls() (SMTPNotSupportedError when
    # not offered), EMAIL_USE_SSL is SMTP_SSL; ssl.create_default_context()-like host store, no CA setting;
    # smtplib.login() tries CRAM-MD5, PLAIN, LOGIN with or without TLS.
    connection = Connection(ca_env=SSL_CERT_FILE_PYTHON, mechanisms=('CRAM-MD5', 'PLAIN', 'LOGIN'),
                            senders=('From: DEFAULT_FROM_EMAIL', 'envelope: the address of DEFAULT_FROM_EMAIL'))
    default_keys = DJANGO_KEYS
    text_true = 'True'
    text_false = 'False'

    def __init__(self, module, params):
        params = dict(params)
        if params.get('format') not in (None, 'env'):
            raise SettingsError('format', 'format: app=dotenv is always format env')
        params['format'] = 'env'
        super().__init__(module, params)
        self.dialect = params.get('dialect')  # None: text python-dotenv, django-environ, Compose, systemd read alike
        self.value_codec = dialect_codec(self.dialect)
