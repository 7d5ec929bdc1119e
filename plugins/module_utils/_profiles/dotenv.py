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
    options = dict(MappedProfile.options, dialect=dict(
        type='str', choices=list(DIALECTS), version_added='1.1.0', description=[
            'For O(app=dotenv), which reader the application uses for its C(KEY=value) file. Each reads quotes, '
            'backslashes, V(#) and V($) differently, so the module writes, reads back and compares values the way that '
            'reader does, and refuses a value that reader cannot be given exactly (naming the option).',
            'Without O(dialect), a value is written only in a spelling that python-dotenv, django-environ, Docker '
            'Compose and systemd all read as the same value (a C(.env) often has several readers); a value they read '
            'differently is refused, naming the option and pointing at O(dialect). The file is read as python-dotenv '
            'reads it.',
            'V(python-dotenv) (Django with python-dotenv), V(django-environ) (C(environ.Env.read_env)), V(ruby-dotenv) '
            '(Mastodon, Rails), V(docker-compose) (Compose C(env_file)), V(systemd) (C(EnvironmentFile=)), V(shell) (a '
            'shell sourcing the file).',
            'See C(docs/apps.md) for what each cannot store.',
        ]))
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
